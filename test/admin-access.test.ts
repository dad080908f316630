import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { InstantMeetingToken, MembershipRole, UserPermissionRole, type User } from "../src/entities";
import { addMember, createBooking, createEventType, createTeam, createViewer } from "./support/factories";
import { startTestGateway, type GqlResponse, type TestGateway } from "./support/harness";

type Outcome = "ok" | "NOT_FOUND" | "FORBIDDEN";
type Target = "personal" | "team";

/**
 * The authorization matrix: roles × operations × outcome, over HTTP against real Postgres. Every
 * target booking is organized by `member`, an accepted member of organization A (admin API on) and
 * of organization B (admin API off), with `attendee` attending. "personal" targets use an event type
 * owned by `eventTypeOwner`; "team" targets use an event type of a plain team administered by
 * `teamAdmin`. `create` books a hidden event type owned by `member`.
 */
const MATRIX: Array<{ role: string; target: Target; list: boolean; get: Outcome; create: Outcome; update: Outcome; cancel: Outcome }> = [
  { role: "outsider", target: "personal", list: false, get: "NOT_FOUND", create: "NOT_FOUND", update: "NOT_FOUND", cancel: "NOT_FOUND" },
  { role: "attendee", target: "personal", list: true, get: "ok", create: "NOT_FOUND", update: "FORBIDDEN", cancel: "ok" },
  { role: "organizer", target: "personal", list: true, get: "ok", create: "ok", update: "ok", cancel: "ok" },
  { role: "eventTypeOwner", target: "personal", list: true, get: "ok", create: "NOT_FOUND", update: "ok", cancel: "ok" },
  { role: "teamAdmin", target: "team", list: true, get: "ok", create: "NOT_FOUND", update: "ok", cancel: "ok" },
  { role: "orgAdmin", target: "personal", list: true, get: "ok", create: "ok", update: "ok", cancel: "ok" },
  {
    role: "orgAdminApiDisabled",
    target: "personal",
    list: false,
    get: "NOT_FOUND",
    create: "NOT_FOUND",
    update: "NOT_FOUND",
    cancel: "NOT_FOUND",
  },
  {
    role: "otherOrgAdmin",
    target: "personal",
    list: false,
    get: "NOT_FOUND",
    create: "NOT_FOUND",
    update: "NOT_FOUND",
    cancel: "NOT_FOUND",
  },
  { role: "systemAdmin", target: "personal", list: true, get: "ok", create: "ok", update: "ok", cancel: "ok" },
];

const outcome = (res: GqlResponse): Outcome => {
  if (!res.body.errors) return "ok";
  return res.body.errors[0].extensions?.code as Outcome;
};

describe("admin access", () => {
  let gw: TestGateway;
  let ds: DataSource;
  const keys: Record<string, string> = {};
  const users: Record<string, User> = {};
  let personalType: number;
  let teamType: number;
  let hiddenMemberType: number;
  let hour = 0;
  const nextStart = () => new Date(Date.UTC(2034, 0, 1, 0) + (hour += 2) * 3_600_000);

  const target = async (kind: Target) =>
    createBooking(ds, {
      userId: users.member.id,
      eventTypeId: kind === "personal" ? personalType : teamType,
      startTime: nextStart(),
      attendees: [{ email: users.attendee.email.toUpperCase() }],
    });

  beforeAll(async () => {
    gw = await startTestGateway();
    ds = gw.dataSource;
    for (const role of [
      "outsider",
      "attendee",
      "member",
      "eventTypeOwner",
      "teamAdmin",
      "orgAdmin",
      "orgAdminApiDisabled",
      "otherOrgAdmin",
      "pendingMember",
      "memberOfOrgA2",
      "memberOfOrgB",
    ]) {
      const v = await createViewer(ds, { username: `${role}-${randomUUID().slice(0, 6)}` });
      keys[role] = v.key;
      users[role] = v.user;
    }
    const admin = await createViewer(ds, { role: UserPermissionRole.ADMIN });
    keys.systemAdmin = admin.key;
    keys.organizer = keys.member;

    const orgA = await createTeam(ds, { isOrganization: true, adminApiEnabled: true });
    const orgA2 = await createTeam(ds, { isOrganization: true, adminApiEnabled: true });
    const orgB = await createTeam(ds, { isOrganization: true, adminApiEnabled: false });
    const orgC = await createTeam(ds, { isOrganization: true, adminApiEnabled: true });
    const team = await createTeam(ds);
    await addMember(ds, orgA, users.orgAdmin, MembershipRole.ADMIN);
    await addMember(ds, orgA2, users.orgAdmin, MembershipRole.OWNER);
    await addMember(ds, orgA, users.member);
    await addMember(ds, orgA, users.pendingMember, MembershipRole.MEMBER, false);
    await addMember(ds, orgA2, users.memberOfOrgA2);
    await addMember(ds, orgB, users.orgAdminApiDisabled, MembershipRole.OWNER);
    await addMember(ds, orgB, users.member);
    await addMember(ds, orgB, users.memberOfOrgB);
    await addMember(ds, orgC, users.otherOrgAdmin, MembershipRole.ADMIN);
    await addMember(ds, team, users.teamAdmin, MembershipRole.ADMIN);
    await addMember(ds, team, users.member);

    personalType = (await createEventType(ds, { userId: users.eventTypeOwner.id })).id;
    teamType = (await createEventType(ds, { teamId: team.id })).id;
    hiddenMemberType = (await createEventType(ds, { userId: users.member.id, hidden: true })).id;
  });
  afterAll(() => gw.close());

  describe.each(MATRIX)("$role", (row) => {
    const key = () => keys[row.role];

    it(`list: ${row.list ? "sees" : "does not see"} the booking`, async () => {
      const b = await target(row.target);
      const res = await gw.gql(`{ bookings { nodes { id } } }`, {}, key());
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.bookings.nodes.some((n: { id: number }) => n.id === b.id)).toBe(row.list);
    });

    it(`get: ${row.get}`, async () => {
      const b = await target(row.target);
      expect(outcome(await gw.gql(`query($id: Int) { booking(id: $id) { id } }`, { id: b.id }, key()))).toBe(row.get);
    });

    it(`create on the member's hidden event type: ${row.create}`, async () => {
      const res = await gw.gql(
        `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id userId } }`,
        {
          in: {
            eventTypeId: hiddenMemberType,
            start: nextStart().toISOString(),
            timeZone: "UTC",
            responses: { name: "Booker", email: "booker@example.test" },
          },
        },
        key(),
      );
      expect(outcome(res)).toBe(row.create);
      if (row.create === "ok") expect(res.body.data!.createBooking.userId).toBe(users.member.id);
    });

    it(`update: ${row.update}`, async () => {
      const b = await target(row.target);
      const res = await gw.gql(
        `mutation($id: Int!) { updateBooking(id: $id, input: { title: "Renamed" }) { title } }`,
        { id: b.id },
        key(),
      );
      expect(outcome(res)).toBe(row.update);
      const [{ title }] = await ds.query(`SELECT title FROM "Booking" WHERE id = $1`, [b.id]);
      expect(title === "Renamed").toBe(row.update === "ok");
    });

    it(`cancel: ${row.cancel}`, async () => {
      const b = await target(row.target);
      const res = await gw.gql(`mutation($id: Int!) { cancelBooking(id: $id) { status } }`, { id: b.id }, key());
      expect(outcome(res)).toBe(row.cancel);
      const [{ status }] = await ds.query(`SELECT status::text FROM "Booking" WHERE id = $1`, [b.id]);
      expect(status).toBe(row.cancel === "ok" ? "cancelled" : "accepted");
    });
  });

  describe("organization admin scope", () => {
    it("covers every organization administered (not only the first), and only accepted members", async () => {
      const inA2 = await createBooking(ds, { userId: users.memberOfOrgA2.id, startTime: nextStart() });
      const pending = await createBooking(ds, { userId: users.pendingMember.id, startTime: nextStart() });
      const inB = await createBooking(ds, { userId: users.memberOfOrgB.id, startTime: nextStart() });
      const res = await gw.gql(`{ bookings { nodes { id } } }`, {}, keys.orgAdmin);
      const ids = res.body.data!.bookings.nodes.map((n: { id: number }) => n.id);
      expect(ids).toContain(inA2.id);
      expect(ids).not.toContain(pending.id);
      expect(ids).not.toContain(inB.id);
    });

    it("filters by userIds within the scope, and refuses any entry outside it", async () => {
      const q = `query($u: [Int!]) { bookings(filter: { userIds: $u }) { totalCount nodes { userId } } }`;
      const members = await gw.gql(q, { u: [users.member.id, users.memberOfOrgA2.id] }, keys.orgAdmin);
      expect(members.body.errors).toBeUndefined();
      expect(new Set(members.body.data!.bookings.nodes.map((n: { userId: number }) => n.userId))).toEqual(
        new Set([users.member.id, users.memberOfOrgA2.id]),
      );
      const self = await gw.gql(q, { u: [users.orgAdmin.id] }, keys.orgAdmin);
      expect(self.body.errors).toBeUndefined();
      for (const outside of [users.pendingMember.id, users.memberOfOrgB.id, users.outsider.id]) {
        const res = await gw.gql(q, { u: [users.member.id, outside] }, keys.orgAdmin);
        expect(res.body.errors?.[0].extensions).toEqual({ code: "FORBIDDEN" });
      }
      for (const role of ["teamAdmin", "orgAdminApiDisabled", "eventTypeOwner"]) {
        const res = await gw.gql(q, { u: [users.member.id] }, keys[role]);
        expect(res.body.errors?.[0].extensions).toEqual({ code: "FORBIDDEN" });
      }
    });

    it("pages exactly: all pages concatenated equal the unpaged list", async () => {
      for (let i = 0; i < 23; i += 1) {
        await createBooking(ds, {
          userId: i % 2 ? users.member.id : users.memberOfOrgA2.id,
          startTime: new Date(Date.UTC(2035, 0, 1, i % 5)),
        });
      }
      const all = await gw.gql(`{ bookings { totalCount nodes { id } } }`, {}, keys.orgAdmin);
      const expected = all.body.data!.bookings.nodes.map((n: { id: number }) => n.id);
      expect(expected.length).toBeGreaterThan(23);
      const seen: number[] = [];
      for (let page = 1; ; page += 1) {
        const res = await gw.gql(`{ bookings(take: 7, page: ${page}) { totalCount hasNextPage nodes { id } } }`, {}, keys.orgAdmin);
        expect(res.body.data!.bookings.totalCount).toBe(expected.length);
        seen.push(...res.body.data!.bookings.nodes.map((n: { id: number }) => n.id));
        if (!res.body.data!.bookings.hasNextPage) break;
      }
      expect(seen).toEqual(expected);
    });

    it("shows the instant-meeting token of a member's booking to the org admin, not to the attendee", async () => {
      const team = await createTeam(ds);
      const b = await target("personal");
      await ds
        .getRepository(InstantMeetingToken)
        .insert({ token: `tok-${b.id}`, expires: b.endTime, teamId: team.id, bookingId: b.id, updatedAt: new Date() });
      const q = `query($id: Int) { booking(id: $id) { instantMeetingToken { token } } }`;
      expect((await gw.gql(q, { id: b.id }, keys.orgAdmin)).body.data!.booking.instantMeetingToken.token).toBe(`tok-${b.id}`);
      expect((await gw.gql(q, { id: b.id }, keys.attendee)).body.data!.booking.instantMeetingToken.token).toBeNull();
    });
  });
});
