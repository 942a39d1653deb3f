package health.vigil.security;

import java.util.Arrays;
import java.util.Optional;

/** The application roles of Vigil (Entra ID app roles in Azure, API-key roles locally). */
public enum Role {
    SCORING_INVOKE("Scoring.Invoke"),
    MODELS_UPLOAD("Models.Upload"),
    MODELS_APPROVE("Models.Approve"),
    DEPLOYMENTS_OPERATE("Deployments.Operate"),
    AUDIT_EXPORT("Audit.Export"),
    OUTCOMES_WRITE("Outcomes.Write"),
    /** Registers the evaluation datasets gates judge on, and changes a model's gate policy. */
    DATASETS_REGISTER("Datasets.Register"),
    /** Submits batch files for scoring and reads the status, summary and results of the jobs it submitted. */
    BATCHES_SUBMIT("Batches.Submit"),
    /**
     * Reads the status, summary and results of every batch job, whoever submitted it: the operators of the nightly
     * runs, whose jobs start from files dropped in {@code batch-input} rather than from a caller.
     */
    BATCHES_READ_ALL("Batches.ReadAll");

    private final String wireName;

    Role(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<Role> fromWire(String value) {
        return Arrays.stream(values()).filter(r -> r.wireName.equals(value)).findFirst();
    }
}
