package health.vigil.audit;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * The result of verifying audit evidence: how much was checked, the first problem (null when everything
 * verified) and notes an auditor should read even when it did (for example what the evidence cannot show).
 * {@code nothingSigned} is the live store checked before any anchor or export digest was signed (no key published, no
 * statement written): nothing is wrong and nothing was verified.
 */
public record EvidenceReport(int anchors, int digests, int exports, long records, Problem firstProblem,
        List<String> notes, @JsonIgnore boolean nothingSigned) {

    public EvidenceReport {
        notes = List.copyOf(notes);
        if (nothingSigned && (firstProblem != null || anchors != 0 || digests != 0)) {
            throw new IllegalArgumentException("a check with nothing signed has no statement and no problem");
        }
    }

    /** A check against signed evidence. */
    public EvidenceReport(int anchors, int digests, int exports, long records, Problem firstProblem,
            List<String> notes) {
        this(anchors, digests, exports, records, firstProblem, notes, false);
    }

    /** The live store checked while nothing is signed yet: the note says why that shows nothing about it. */
    static EvidenceReport nothingSignedYet(String note) {
        return new EvidenceReport(0, 0, 0, 0, null, List.of(note), true);
    }

    /** Whether the records verified against signed evidence; never when nothing was signed to verify them with. */
    @JsonProperty("valid")
    public boolean valid() {
        return firstProblem == null && !nothingSigned;
    }

    /**
     * What the check found, as its {@code audit.evidence.verified} record and the answer of
     * {@code GET /audit/evidence/verify} both say it: valid, nothing-signed or broken.
     */
    @JsonProperty("outcome")
    public String outcome() {
        return valid() ? "valid" : nothingSigned ? "nothing-signed" : "broken";
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
        /**
         * An export's first record chains to the day before it, which a digest here read whole, and neither that
         * digest's fields nor an export here show the record it chains to: that digest's export was left out.
         */
        MISSING_LINKED_EXPORT,
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
