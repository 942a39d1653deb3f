package health.vigil.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One patient in a scoring request: the caller's identifier (pseudonymised before anything else happens to
 * it) and the raw feature values by name, as they came in the JSON body. A JSON null stays a null value.
 */
public record PatientRow(String patientId, Map<String, JsonNode> features) {
    public PatientRow {
        features = features == null ? Map.of()
                : features instanceof ObjectFields ? features
                : Collections.unmodifiableMap(new LinkedHashMap<>(features));
    }

    /**
     * A row whose features are the fields of {@code object} (a parsed request body's {@code features}), read where
     * the parsed document holds them instead of copied into a map of their own: nothing changes a parsed request
     * after it is read, and a scoring request no longer copies its features on the way in.
     */
    public static PatientRow ofFields(String patientId, JsonNode object) {
        if (!object.isObject()) {
            throw new IllegalArgumentException("features must be a JSON object");
        }
        return new PatientRow(patientId, new ObjectFields(object));
    }

    /** Names only: the identifier and the values are patient data and must never reach a log. */
    @Override
    public String toString() {
        return "PatientRow[features=" + features.keySet() + "]";
    }

    /** A JSON object's fields as a read-only map, in the object's order. */
    private static final class ObjectFields extends AbstractMap<String, JsonNode> {
        private final JsonNode object;

        ObjectFields(JsonNode object) {
            this.object = object;
        }

        @Override
        public int size() {
            return object.size();
        }

        @Override
        public JsonNode get(Object key) {
            return key instanceof String name ? object.get(name) : null;
        }

        @Override
        public boolean containsKey(Object key) {
            return key instanceof String name && object.has(name);
        }

        @Override
        public Set<String> keySet() {
            // Its own set: the map's default walks the entries, which would copy an entry per name.
            return new AbstractSet<>() {
                @Override
                public Iterator<String> iterator() {
                    return readOnly(object.fieldNames(), Function.identity());
                }

                @Override
                public int size() {
                    return object.size();
                }

                @Override
                public boolean contains(Object key) {
                    return containsKey(key);
                }
            };
        }

        @Override
        public Set<Map.Entry<String, JsonNode>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public Iterator<Map.Entry<String, JsonNode>> iterator() {
                    // A copy of each entry: the object's own would let a caller set a value in it.
                    return readOnly(object.properties().iterator(), AbstractMap.SimpleImmutableEntry::new);
                }

                @Override
                public int size() {
                    return object.size();
                }
            };
        }

        /** {@code items} as {@code as} turns them, with no way back into the object (an iterator's remove throws). */
        private static <T, R> Iterator<R> readOnly(Iterator<T> items, Function<? super T, ? extends R> as) {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return items.hasNext();
                }

                @Override
                public R next() {
                    return as.apply(items.next());
                }
            };
        }
    }
}
