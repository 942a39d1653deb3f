package health.vigil.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import health.vigil.error.ValidationException;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;

/**
 * The result of checking the audit chain over a period: how much was checked, the first record where the
 * chain is broken (null when it is intact), and notes about things that are not breaks but that an
 * auditor should know (for example that the earliest day chains to a day no longer in the store).
 */
public record VerificationReport(
        LocalDate from,
        LocalDate to,
        int partitionsChecked,
        long recordsChecked,
        Break firstBreak,
        List<String> notes) {

    public VerificationReport {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /** True when every record in the period matched its hash and its links. */
    @JsonProperty("valid")
    public boolean valid() {
        return firstBreak == null;
    }

    /** What is wrong at a record. */
    public enum Problem {
        /** The record's sequence is not one more than the record before it: records are missing or reordered. */
        SEQUENCE_GAP,
        /** The record's partition field or time does not belong to the partition it is stored in. */
        WRONG_PARTITION,
        /** The record's previousHash is not the hash of the record before it. */
        BROKEN_LINK,
        /** The record's content does not hash to its stored hash: it was changed after it was written. */
        HASH_MISMATCH,
        /** The stored document is not an audit record at all: it was damaged or replaced below the store. */
        UNREADABLE
    }

    /** The first broken record: its partition and sequence, what is wrong, and an explanation. */
    public record Break(String partition, long sequence, Problem problem, String message) {
        public Break {
            Objects.requireNonNull(partition, "partition");
            Objects.requireNonNull(problem, "problem");
            if (message == null || message.isBlank()) {
                throw new ValidationException("a verification break needs a message");
            }
        }
    }
}
