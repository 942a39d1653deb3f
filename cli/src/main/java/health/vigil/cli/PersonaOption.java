package health.vigil.cli;

import picocli.CommandLine.Option;

/** {@code --as}: the persona of keys.json whose key a command calls the platform with, instead of its usual one. */
final class PersonaOption {
    @Option(names = "--as", description = "Call with this persona's key from keys.json instead"
            + " (default: the operator, or the persona the command names)")
    String persona;

    /** The persona named with --as, or {@code usual} when none was. */
    String or(String usual) {
        return persona == null ? usual : persona;
    }
}
