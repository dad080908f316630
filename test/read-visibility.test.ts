import { MembershipRole, UserPermissionRole } from "../src/entities";
import { addMember, createApiKey, createBooking, createEventType, createTeam, createUser, createViewer } from "./support/factories";
import { onlyError, startTestGateway, type TestGateway } from "./support/harness";

/**
 * Who may read which booking, over HTTP, for list and get-one alike (one policy decides both).
 * Each row: a viewer, and the bookings they must see (every other booking must be invisible).
 */
describe("read visibility", () => {
  let gw: TestGateway;
  const keys: Record<string, string> = {};
  const bookings: Record<string, { id: number; uid: string }> = {};

  const matrix: Array<[viewer: string, visible: string[]]> = [
    ["organizer", ["own", "attendedByOther"]],
    ["attendee", ["own"]], // matched by e-mail, case-insensitively
    ["eventTypeOwner", ["onOwnedType"]],
    ["teamAdmin", ["team"]],
    ["teamOwner", ["team"]],
    ["teamMember", []], // a plain member of the team does not see its bookings
    ["pendingTeamAdmin", []], // membership not accepted
    ["host", ["team"]], // organizer of the team booking
    ["outsider", []],
    ["systemAdmin", ["own", "attendedByOther", "onOwnedType", "team", "unrelated"]],
  ];

  beforeAll(async () => {
    gw = await startTestGateway();
    const ds = gw.dataSource;
    const v = async (name: string, extra = {}) => {
      const { user, key } = await createViewer(ds, { username: name, ...extra });
      keys[name] = key;
      return user;
    };
    const organizer = await v("organizer");
    await v("attendee", { email: "attendee.person@example.test" });
    const eventTypeOwner = await v("eventTypeOwner");
    const teamAdmin = await v("teamAdmin");
    const teamOwner = await v("teamOwner");
    const teamMember = await v("teamMember");
    const pendingTeamAdmin = await v("pendingTeamAdmin");
    const host = await v("host");
    await v("outsider");
    await v("systemAdmin", { role: UserPermissionRole.ADMIN });
    const stranger = await createUser(ds);

    const team = await createTeam(ds);
    await addMember(ds, team, teamAdmin, MembershipRole.ADMIN);
    await addMember(ds, team, teamOwner, MembershipRole.OWNER);
    await addMember(ds, team, teamMember, MembershipRole.MEMBER);
    await addMember(ds, team, pendingTeamAdmin, MembershipRole.ADMIN, false);
    await addMember(ds, team, host, MembershipRole.MEMBER);

    const organizersType = await createEventType(ds, { userId: organizer.id });
    const ownedType = await createEventType(ds, { userId: eventTypeOwner.id });
    const teamType = await createEventType(ds, { teamId: team.id });
    const strangersType = await createEventType(ds, { userId: stranger.id });
    const at = (h: number) => new Date(Date.UTC(2031, 5, 1, h));

    const save = (name: string, b: { id: number; uid: string }) => (bookings[name] = { id: b.id, uid: b.uid });
    save(
      "own",
      await createBooking(ds, {
        userId: organizer.id,
        eventTypeId: organizersType.id,
        startTime: at(9),
        attendees: [{ email: "Attendee.Person@Example.TEST" }],
      }),
    );
    // The organizer attends a stranger's booking.
    save(
      "attendedByOther",
      await createBooking(ds, {
        userId: stranger.id,
        eventTypeId: strangersType.id,
        startTime: at(10),
        attendees: [{ email: organizer.email }],
      }),
    );
    // Organized by someone else on an event type the owner owns (e.g. reassigned).
    save("onOwnedType", await createBooking(ds, { userId: stranger.id, eventTypeId: ownedType.id, startTime: at(11) }));
    save("team", await createBooking(ds, { userId: host.id, eventTypeId: teamType.id, startTime: at(12) }));
    save(
      "unrelated",
      await createBooking(ds, {
        userId: stranger.id,
        eventTypeId: strangersType.id,
        startTime: at(13),
        attendees: [{ email: "x@elsewhere.test" }],
      }),
    );
  });

  afterAll(() => gw.close());

  it.each(matrix)("%s lists exactly the bookings they may read", async (viewer, visible) => {
    const res = await gw.gql(`{ bookings { totalCount nodes { id } } }`, {}, keys[viewer]);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const ids = res.body.data!.bookings.nodes.map((n: { id: number }) => n.id).sort((a: number, b: number) => a - b);
    expect(ids).toEqual(visible.map((name) => bookings[name].id).sort((a, b) => a - b));
    expect(res.body.data!.bookings.totalCount).toBe(visible.length);
  });

  it.each(matrix)("%s can get by id and uid exactly the bookings they may read; others are NOT_FOUND", async (viewer, visible) => {
    for (const [name, b] of Object.entries(bookings)) {
      for (const [arg, value] of [
        ["id", b.id],
        ["uid", b.uid],
      ] as const) {
        const res = await gw.gql(
          `query($id: Int, $uid: String) { booking(id: $id, uid: $uid) { id uid } }`,
          { [arg]: value },
          keys[viewer],
        );
        if (visible.includes(name)) {
          expect(res.body.errors).toBeUndefined();
          expect(res.body.data!.booking).toEqual({ id: b.id, uid: b.uid });
        } else {
          const error = onlyError(res);
          expect(error.extensions?.code).toBe("NOT_FOUND");
          expect(res.body.data).toBeNull();
        }
      }
    }
  });

  it("answers a missing booking exactly like an invisible one (no existence leak)", async () => {
    const missing = await gw.gql(`{ booking(id: 987654) { id } }`, {}, keys.outsider);
    const hidden = await gw.gql(`{ booking(id: ${bookings.unrelated.id}) { id } }`, {}, keys.outsider);
    expect(onlyError(missing).extensions).toEqual({ code: "NOT_FOUND" });
    expect(onlyError(hidden).extensions).toEqual({ code: "NOT_FOUND" });
    expect(onlyError(missing).message.replace("987654", "N")).toBe(onlyError(hidden).message.replace(String(bookings.unrelated.id), "N"));
  });

  it("requires exactly one of id and uid", async () => {
    const both = await gw.gql(`{ booking(id: 1, uid: "x") { id } }`, {}, keys.systemAdmin);
    expect(onlyError(both).extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    const neither = await gw.gql(`{ booking { id } }`, {}, keys.systemAdmin);
    expect(onlyError(neither).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
  });

  it("lets only administrators filter by userIds", async () => {
    const denied = await gw.gql(`{ bookings(filter: { userIds: [1] }) { totalCount } }`, {}, keys.organizer);
    expect(onlyError(denied).extensions).toEqual({ code: "FORBIDDEN" });
    const hostId = (await gw.gql(`{ me { id } }`, {}, keys.host)).body.data!.me.id;
    const allowed = await gw.gql(
      `query($ids: [Int!]) { bookings(filter: { userIds: $ids }) { nodes { id } } }`,
      { ids: [hostId] },
      keys.systemAdmin,
    );
    expect(allowed.body.data!.bookings.nodes).toEqual([{ id: bookings.team.id }]);
  });

  it("keeps a new key's owner to their own scope", async () => {
    // Same person, second key: same visibility (scope comes from the user, not the key).
    const ds = gw.dataSource;
    const [organizer] = await ds.query(`SELECT * FROM users WHERE username = 'organizer'`);
    const second = await createApiKey(ds, organizer);
    const res = await gw.gql(`{ bookings { totalCount } }`, {}, second);
    expect(res.body.data!.bookings.totalCount).toBe(2);
  });
});
