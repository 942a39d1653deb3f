package health.vigil.monitoring;

import health.vigil.config.VectorSupport;

/**
 * Whether {@link DriftAccumulator} can bin with the incubating Vector API ({@link VectorBinning}). Free of vector
 * types, so that asking cannot fail on a JVM started without {@code --add-modules=jdk.incubator.vector}: the vector
 * class is touched only once the module is known to be in the boot layer.
 */
final class DriftVectors {

    /** The system property that keeps the drift check on scalar binning ({@code -Dvigil.drift.vectors=false}). */
    static final String PROPERTY = "vigil.drift.vectors";

    /** The module is in the boot layer and the processor has 256-bit vectors of floats. */
    static final boolean AVAILABLE = VectorSupport.available(() -> VectorBinning.supported());

    /**
     * {@link #AVAILABLE}, C2 compiles (without it every vector is an object and vector binning is far slower than
     * scalar binning), and not turned off by {@link #PROPERTY}.
     */
    static final boolean USABLE = VectorSupport.usable(AVAILABLE, PROPERTY);

    private DriftVectors() {}
}
