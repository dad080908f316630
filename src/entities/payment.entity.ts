import { GraphQLJSON } from "graphql-scalars";
import { Field, Int, ObjectType } from "type-graphql";
import type { Json } from "./json";
import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { PaymentOption } from "./enums";

/** Cal.com's `"Payment"`: a payment attempt for a paid booking. */
@ObjectType({ simpleResolvers: true, description: "A payment made (or attempted) for a paid booking." })
@Entity({ name: "Payment" })
@Index("Payment_uid_key", ["uid"], { unique: true })
@Index("Payment_externalId_key", ["externalId"], { unique: true })
@Index("Payment_bookingId_idx", ["bookingId"])
export class Payment {
  @Field(() => Int, { description: "Numeric id." })
  @PrimaryGeneratedColumn()
  id!: number;

  @Field(() => String, { description: "Public unique id." })
  @Column({ type: "text" })
  uid!: string;

  @Field(() => String, { nullable: true, description: "Payment app (e.g. `stripe`)." })
  @Column({ type: "text", nullable: true })
  appId!: string | null;

  @Field(() => Int, { description: "The booking paid for." })
  @Column({ type: "int" })
  bookingId!: number;

  @Field(() => Int, { description: "Amount in the currency's minor unit." })
  @Column({ type: "int" })
  amount!: number;

  @Field(() => Int, { description: "Fee in the currency's minor unit." })
  @Column({ type: "int" })
  fee!: number;

  @Field(() => String, { description: "ISO currency code." })
  @Column({ type: "text" })
  currency!: string;

  @Field(() => Boolean, { description: "The payment went through." })
  @Column({ type: "boolean" })
  success!: boolean;

  @Field(() => Boolean, { description: "The payment was refunded." })
  @Column({ type: "boolean" })
  refunded!: boolean;

  @Field(() => GraphQLJSON, { nullable: true, description: "Provider data (null unless the viewer may manage the booking)." })
  @Column({ type: "jsonb" })
  data!: Json;

  @Field(() => String, {
    nullable: true,
    description: "Provider's id for the payment (unique; null unless the viewer may manage the booking).",
  })
  @Column({ type: "text" })
  externalId!: string;

  @Field(() => PaymentOption, { nullable: true, description: "When the payment is charged." })
  @Column({ type: "enum", enum: PaymentOption, enumName: "PaymentOption", nullable: true, default: PaymentOption.ON_BOOKING })
  paymentOption!: PaymentOption | null;
}
