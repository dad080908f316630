import { Arg, Ctx, Int, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { createBooking } from "../domain/booking/booking-create.service";
import {
  cancelBooking,
  confirmBooking,
  rejectBooking,
  rescheduleBooking,
  updateBooking,
} from "../domain/booking/booking-lifecycle.service";
import { Booking } from "../entities";
import { CreateBookingInput, UpdateBookingInput } from "./booking-mutation.types";

/** The booking lifecycle mutations: each one transaction, delegated to the booking services. */
@Resolver(() => Booking)
export class BookingMutationResolver {
  @Mutation(() => Booking, {
    description:
      "Books an event type. PENDING when it requires confirmation or has a price, else ACCEPTED. CONFLICT / SLOT_TAKEN when the organizer is not free.",
  })
  createBooking(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateBookingInput, { description: "The booking to make." }) input: CreateBookingInput,
  ): Promise<Booking> {
    return createBooking(ctx, { ...input, responses: { ...input.responses } });
  }

  @Mutation(() => Booking, {
    description:
      "Edits title, description, times and/or status (organizer, event-type owner or team admins, admins). Moving re-checks the slot and bumps iCalSequence.",
  })
  updateBooking(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => Int, { description: "Booking id." }) id: number,
    @Arg("input", () => UpdateBookingInput, { description: "The changes." }) input: UpdateBookingInput,
  ): Promise<Booking> {
    return updateBooking(ctx, id, input);
  }

  @Mutation(() => Booking, {
    description: "Cancels a booking (also allowed to its attendees); frees its slot. CONFLICT / ALREADY_CANCELLED when cancelled already.",
  })
  cancelBooking(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => Int, { description: "Booking id." }) id: number,
    @Arg("cancellationReason", () => String, { nullable: true, description: "Why it is cancelled." }) cancellationReason?: string | null,
    @Arg("allRemainingBookings", () => Boolean, {
      defaultValue: false,
      description: "Also cancel the occurrences of its recurring series that start after it.",
    })
    allRemainingBookings?: boolean,
  ): Promise<Booking> {
    return cancelBooking(ctx, id, cancellationReason, allRemainingBookings ?? false);
  }

  @Mutation(() => Booking, {
    description: "Moves a booking in one step: returns the new booking; the old one becomes CANCELLED with rescheduled = true.",
  })
  rescheduleBooking(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => Int, { description: "Booking to move." }) id: number,
    @Arg("start", () => Date, { description: "New start." }) start: Date,
    @Arg("end", () => Date, { nullable: true, description: "New end; default start + the old duration." }) end?: Date | null,
    @Arg("reason", () => String, {
      nullable: true,
      description: "Why it moves (stored on the new booking's cancellationReason, as Cal.com does).",
    })
    reason?: string | null,
  ): Promise<Booking> {
    return rescheduleBooking(ctx, id, start, end, reason);
  }

  @Mutation(() => Booking, { description: "Confirms a PENDING or AWAITING_HOST booking (ACCEPTED), re-checking the slot." })
  confirmBooking(@Ctx() ctx: RequestContext, @Arg("id", () => Int, { description: "Booking id." }) id: number): Promise<Booking> {
    return confirmBooking(ctx, id);
  }

  @Mutation(() => Booking, { description: "Rejects a PENDING booking (REJECTED) with an optional reason." })
  rejectBooking(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => Int, { description: "Booking id." }) id: number,
    @Arg("reason", () => String, { nullable: true, description: "Shown to the booker as rejectionReason." }) reason?: string | null,
  ): Promise<Booking> {
    return rejectBooking(ctx, id, reason);
  }
}
