package health.vigil.scoring.batch;

/**
 * How a batch job's rows get their prediction ids, fixed when the job is planned (ADR 0038). Both forms are version
 * 7 UUIDs whose time bits are the logging time; they differ in where the other 74 bits come from.
 */
public enum PredictionIdForm {
    /** MD5 of {@code batch:{id}:row:{row}}, once per row: every job planned before the form was recorded. */
    DIGESTED,
    /** The row number mixed with a key digested once per job: two rows of one job never share an id. */
    MIXED
}
