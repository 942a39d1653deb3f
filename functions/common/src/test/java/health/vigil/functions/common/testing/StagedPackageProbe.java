package health.vigil.functions.common.testing;

import java.util.Collections;
import java.util.jar.JarFile;

/**
 * Run in a JVM of its own on a staged Function App folder: loads every class of the app jar given as argument
 * (without initialising them), then creates the ONNX Runtime environment, which loads its native library from
 * the jar in lib/. Exits non-zero when either fails. Its last line reports the process's CPU time so far, which
 * the package start-up benchmark (health.vigil.bench.packaging.PackageStartupRatio) compares.
 */
public final class StagedPackageProbe {
    private StagedPackageProbe() {}

    public static void main(String[] args) throws Exception {
        int loaded = 0;
        ClassLoader loader = StagedPackageProbe.class.getClassLoader();
        try (JarFile jar = new JarFile(args[0])) {
            for (var entry : Collections.list(jar.entries())) {
                String name = entry.getName();
                if (name.endsWith(".class") && !name.endsWith("module-info.class")) {
                    Class.forName(name.substring(0, name.length() - ".class".length()).replace('/', '.'), false, loader);
                    loaded++;
                }
            }
        }
        System.out.println("loaded " + loaded + " app classes");
        Class.forName("ai.onnxruntime.OrtEnvironment").getMethod("getEnvironment").invoke(null);
        System.out.println("onnxruntime ok");
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        System.out.println("cpuNanos=" + os.getProcessCpuTime());
    }
}
