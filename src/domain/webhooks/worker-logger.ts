import { Logger as GraphileLogger } from "graphile-worker";
import type { Logger } from "../../logger";

/**
 * graphile-worker's log lines through the gateway's logger: its info chatter (worker started,
 * job completed) at debug, its warnings and errors as they are. Payloads are never logged.
 */
export function workerLogger(logger: Logger | undefined): GraphileLogger {
  return new GraphileLogger((scope) => (level, message) => {
    if (!logger) return;
    const fields = {
      component: "graphile-worker",
      ...(scope.workerId ? { workerId: scope.workerId } : {}),
      ...(scope.taskIdentifier ? { task: scope.taskIdentifier } : {}),
    };
    const severity: string = level; // a const enum of graphile-worker's, compared by its string values
    if (severity === "error") logger.error(message, fields);
    else if (severity === "warning") logger.warn(message, fields);
    else logger.debug(message, fields);
  });
}
