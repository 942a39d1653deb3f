package health.vigil.explain;

import health.vigil.config.VectorSupport;

/**
 * Whether {@link TreeShap} can compute its quadrature points with the incubating Vector API. Kept apart from
 * {@link VectorPasses} and free of its types, so that asking costs nothing and cannot fail on a JVM started
 * without {@code --add-modules=jdk.incubator.vector}: the vector classes are touched only once the module is
 * known to be in the boot layer.
 */
final class VectorLanes {

    /** The system property that turns the vector passes off ({@code -Dvigil.explain.vectors=false}). */
    static final String PROPERTY = "vigil.explain.vectors";

    /** The module is in the boot layer and the processor has 256-bit vectors of doubles. */
    static final boolean AVAILABLE = VectorSupport.available(() -> VectorPasses.supported());

    /**
     * {@link #AVAILABLE}, C2 compiles (without it every vector is an object and the passes run about 30 times
     * slower than the scalar ones), and not turned off by {@link #PROPERTY}.
     */
    static final boolean USABLE = VectorSupport.usable(AVAILABLE, PROPERTY);

    private VectorLanes() {}
}
