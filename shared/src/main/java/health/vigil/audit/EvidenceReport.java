package health.vigil.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * The result of verifying audit evidence: how much was checked, the first problem (null when everything
 * verified) and notes an auditor should read even when it did (for example what the evidence cannot show).
 */
public record EvidenceReport(int anchors, int digests, int exports, long records, Problem firstProblem,
        List<String> notes) {

    public EvidenceReport {
        notes = List.copyOf(notes);
    }

    @JsonProperty("valid")
    public boolean valid() {
        return firstProblem == null;
    }

    /**
     * Whether there is no signed evidence to check against: no key is published yet and no anchor or export digest is
     * there, so none was ever signed. A check then finds nothing wrong and nothing right, which is not a broken trail.
     * Anchors or digests without a key to check them (the keys removed) are a problem of the first statement, and
     * broken.
     */
    public boolean nothingSigned() {
        return anchors == 0 && digests == 0 && firstProblem != null && firstProblem.kind() == Kind.NO_TRUSTED_KEY
                && EvidenceLayout.KEYS.equals(firstProblem.file());
    }

    /** The outcome an {@code audit.evidence.verified} record gives this check: valid, nothing-signed or broken. */
    public String outcome() {
        return valid() ? "valid" : nothingSigned() ? "nothing-signed" : "broken";
    }

    /** What went wrong, where: a file, the line in it (0 when the problem is the whole file) and an explanation. */
    public record Problem(Kind kind, String file, long line, String message) {
        public Problem {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(message, "message");
        }
    }

    /** The kinds of problem, from the signature of a statement down to one record. */
    public enum Kind {
        /** No trusted public key was given or found. */
        NO_TRUSTED_KEY,
        /** A digest or anchor is not a statement Vigil writes (not JSON, fields missing or wrong, misnamed). */
        MALFORMED_STATEMENT,
        /** A statement is signed by a key that is not trusted. */
        UNTRUSTED_KEY,
        /** A statement's signature does not verify: it was changed after it was signed. */
        BAD_SIGNATURE,
        /** A digest or anchor does not name the one before it, or that one's content changed. */
        BROKEN_STATEMENT_CHAIN,
        /** A line of an export is not an audit record. */
        MALFORMED_RECORD,
        /** A record's content does not match its hash. */
        HASH_MISMATCH,
        /** A record does not carry the hash of the record before it. */
        BROKEN_LINK,
        /** Sequence numbers skip or repeat: records were removed, reordered or inserted. */
        SEQUENCE_GAP,
        /** A record is in the wrong day, or outside the exported period, or days are out of order. */
        WRONG_PARTITION,
        /** A record differs from what a signed anchor or digest says it was. */
        CONTRADICTS_SIGNED_EVIDENCE,
        /** A record that a signed anchor or digest names is missing: the log was cut short. */
        TRUNCATED,
        /** An export file differs from its digest (sha256, count, first or last record). */
        EXPORT_MISMATCH,
        /** An export file that no digest names. */
        UNSIGNED_EXPORT,
        /**
         * A signed digest attests records of the days the exports hold that none of them holds: its export (a later
         * one of the same day, a longer period) was left out.
         */
        MISSING_EXPORT
    }
}
