package health.vigil.training.data;

import health.vigil.hash.Sha256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Assigns every patient, and so all of that patient's records, to exactly one of train, validation and
 * test. The assignment is a seeded hash of the patient key, so it does not depend on row order and a
 * patient stays in the same part when rows are added.
 */
public final class PatientSplit {
    public enum Part {
        TRAIN,
        VALIDATION,
        TEST
    }

    private final double trainShare;
    private final double validationShare;
    private final long seed;

    public PatientSplit(double trainShare, double validationShare, long seed) {
        if (!(trainShare > 0 && validationShare > 0 && trainShare + validationShare < 1)) {
            throw new IllegalArgumentException("train and validation shares must be positive and leave room for a test part");
        }
        this.trainShare = trainShare;
        this.validationShare = validationShare;
        this.seed = seed;
    }

    /** 70 % train, 15 % validation, 15 % test. */
    public static PatientSplit standard(long seed) {
        return new PatientSplit(0.70, 0.15, seed);
    }

    public Part partOf(String patientKey) {
        MessageDigest digest = Sha256.newDigest();
        digest.update(ByteBuffer.allocate(Long.BYTES).putLong(seed).array());
        digest.update(patientKey.getBytes(StandardCharsets.UTF_8));
        long bits = ByteBuffer.wrap(digest.digest()).getLong() >>> 11;
        double u = bits / (double) (1L << 53);
        if (u < trainShare) {
            return Part.TRAIN;
        }
        return u < trainShare + validationShare ? Part.VALIDATION : Part.TEST;
    }

    /** The part of each row, by its patient key. */
    public Part[] assign(List<String> patientKeys) {
        Part[] parts = new Part[patientKeys.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = partOf(patientKeys.get(i));
        }
        return parts;
    }

    public String describe() {
        return "patient-grouped " + Math.round(trainShare * 100) + "/" + Math.round(validationShare * 100) + "/"
                + Math.round((1 - trainShare - validationShare) * 100) + " by sha256(seed, patient key)";
    }
}
