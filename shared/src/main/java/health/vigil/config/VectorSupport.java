package health.vigil.config;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.BooleanSupplier;

/**
 * What the JVM offers the code paths that use the incubating Vector API (explanations, ADR 0020; the drift
 * check's binning, ADR 0023). Free of vector types, so that asking cannot fail on a JVM started without
 * {@code --add-modules=jdk.incubator.vector}: each user loads its vector class only once the module is known to be
 * in the boot layer.
 */
public final class VectorSupport {

    private VectorSupport() {}

    /**
     * Whether the JVM was started with {@code --add-modules=jdk.incubator.vector} and {@code supported} (which may
     * touch vector classes, and is asked only then) says the processor has the vectors a user needs. Pass a lambda,
     * not a method reference: a method reference resolves its class when it is created.
     */
    public static boolean available(BooleanSupplier supported) {
        if (!moduleInBootLayer()) {
            return false;
        }
        try {
            return supported.getAsBoolean();
        } catch (LinkageError e) {
            return false;
        }
    }

    /**
     * Whether a vector path that is {@code available} should run: C2 compiles and {@code property} does not turn it
     * off.
     */
    public static boolean usable(boolean available, String property) {
        return available && optimisingCompiler() && !switchedOff(property);
    }

    /** Whether the JVM was started with {@code --add-modules=jdk.incubator.vector}. */
    public static boolean moduleInBootLayer() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * Whether C2 compiles (not {@code -Xint}, not {@code -XX:TieredStopAtLevel} below 4): without it every vector is
     * an object and vector code runs many times slower than scalar code.
     */
    public static boolean optimisingCompiler() {
        if (System.getProperty("java.vm.info", "").contains("interpreted")) {
            return false;
        }
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return vm == null || Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue()) >= 4;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /** Whether the system property {@code property} turns a vector path off (its value is {@code false}). */
    public static boolean switchedOff(String property) {
        return "false".equalsIgnoreCase(System.getProperty(property));
    }
}
