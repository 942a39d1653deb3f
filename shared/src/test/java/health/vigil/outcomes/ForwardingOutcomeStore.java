package health.vigil.outcomes;

import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.port.OutcomeStore;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * An outcome store that hands every call to another: a test overrides the call it watches or changes (to count
 * writes, hold one until a latch opens, fail a purge) and the store underneath does the rest.
 */
class ForwardingOutcomeStore implements OutcomeStore {
    private final OutcomeStore store;

    ForwardingOutcomeStore(OutcomeStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public Optional<Outcome> putIfAbsent(Outcome outcome) {
        return store.putIfAbsent(outcome);
    }

    @Override
    public List<Optional<Outcome>> putAllIfAbsent(List<Outcome> outcomes) {
        return store.putAllIfAbsent(outcomes);
    }

    @Override
    public Map<String, Outcome> get(ModelName model, Collection<String> keys) {
        return store.get(model, keys);
    }

    @Override
    public long purgeBefore(Instant cutoff, LongConsumer beforeRemoval) {
        return store.purgeBefore(cutoff, beforeRemoval);
    }

    @Override
    public boolean expiresByTimeToLive() {
        return store.expiresByTimeToLive();
    }
}
