package dev.outbox.chaos;

import java.util.List;

/**
 * One line of the table. {@code error} is set when the scenario could not run to the end (a
 * service did not start, a deadline passed); such a row counts as failed.
 */
record Row(String scenario, String broker, int faults, Tally.Counts counts, long duplicateLimit, List<String> notes,
        boolean integrityFailed, String error) {
    /** The targets: recovery within 2 s of the fault's end. */
    static final long RECOVERY_TARGET_MILLIS = 2000;

    static Row failed(String scenario, String broker, String error) {
        return new Row(scenario, broker, 0, null, 0, List.of(), true, error);
    }

    /** Loss, reordering, an unexpected message or a broken scenario invariant: the run fails. */
    boolean fails() {
        return error != null || integrityFailed || counts.lost() > 0 || counts.orderViolations() > 0
                || counts.unexpected() > 0;
    }

    boolean duplicatesOverTarget() {
        return counts != null && counts.duplicates() > duplicateLimit;
    }

    boolean recoveryOverTarget() {
        return counts != null && counts.recoveryMillis() != null && counts.recoveryMillis() > RECOVERY_TARGET_MILLIS;
    }
}
