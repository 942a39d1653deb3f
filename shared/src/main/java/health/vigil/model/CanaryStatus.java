package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where a canary ramp stands. Only a running ramp advances; the last three are final. */
public enum CanaryStatus {
    RUNNING,
    PAUSED,
    PROMOTED,
    ROLLED_BACK,
    ABORTED;

    public boolean live() {
        return this == RUNNING || this == PAUSED;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static CanaryStatus fromWire(String value) {
        return CanaryStatus.valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
}
