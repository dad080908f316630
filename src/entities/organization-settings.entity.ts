import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Cal.com's `"OrganizationSettings"`: only `isAdminAPIEnabled` matters to the gateway. */
@Entity({ name: "OrganizationSettings" })
@Index("OrganizationSettings_organizationId_key", ["organizationId"], { unique: true })
export class OrganizationSettings {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  organizationId!: number;

  /** Organization admins get admin rights over members' bookings only when this is true. */
  @Column({ type: "boolean", default: false })
  isAdminAPIEnabled!: boolean;
}
