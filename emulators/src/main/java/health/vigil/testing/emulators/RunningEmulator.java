package health.vigil.testing.emulators;

/** An emulator process this JVM started on a loopback port; stopping it ({@link #close()}) kills it by PID. */
public abstract class RunningEmulator implements AutoCloseable {
    private final EmulatorProcess process;

    RunningEmulator(EmulatorProcess process) {
        this.process = process;
    }

    public int port() {
        return process.port();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.close();
    }
}
