package health.vigil.training;

/** Hears how far training has got, for a progress bar; called on the training thread. */
public interface TrainingProgress {
    TrainingProgress NONE = new TrainingProgress() {
        @Override
        public void stage(String name, long total) {}

        @Override
        public void step(long done) {}
    };

    /** A new stage starts with {@code total} steps (0 when it has no measurable steps). */
    void stage(String name, long total);

    /** {@code done} of the current stage's steps are done. */
    void step(long done);
}
