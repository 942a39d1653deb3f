package health.vigil.bench;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * A benchmark's command-line arguments, each read and checked before any work starts: a value that is not a number,
 * or outside the range the benchmark can run with, is refused with the usage line, the argument's name and its
 * allowed range, instead of failing later in the run (a division by zero, an empty median, a pool of no threads).
 */
public final class BenchArguments {
    private final String usage;
    private final String[] args;

    /** {@code usage} is the benchmark's name and its arguments, e.g. {@code "ScoringRatio [rounds]"}. */
    public BenchArguments(String usage, String[] args) {
        this.usage = usage;
        this.args = args.clone();
    }

    /** The whole number at {@code index}, {@code fallback} when not given; at least {@code least}. */
    public int atLeast(int index, String name, int fallback, int least) {
        if (index >= args.length) {
            return fallback;
        }
        int value;
        try {
            value = Integer.parseInt(args[index].strip());
        } catch (NumberFormatException e) {
            throw refused(name + " is \"" + args[index] + "\" and must be a whole number of at least " + least);
        }
        if (value < least) {
            throw refused(name + " is " + value + " and must be at least " + least);
        }
        return value;
    }

    /** The whole number at {@code index}, which must be given; at least {@code least}. */
    public int atLeast(int index, String name, int least) {
        required(index, name, "a whole number of at least " + least);
        return atLeast(index, name, 0, least);
    }

    /** The whole number at {@code index}, which must be given; from {@code least} to {@code most}. */
    public int wholeNumber(int index, String name, int least, int most) {
        String text = required(index, name, "a whole number from " + least + " to " + most);
        int value;
        try {
            value = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw refused(name + " is \"" + text + "\" and must be a whole number from " + least + " to " + most);
        }
        if (value < least || value > most) {
            throw refused(name + " is " + value + " and must be from " + least + " to " + most);
        }
        return value;
    }

    /** The number at {@code index}, {@code fallback} when not given; from {@code least} to {@code most}. */
    public double between(int index, String name, double fallback, double least, double most) {
        if (index >= args.length) {
            return fallback;
        }
        double value;
        try {
            value = Double.parseDouble(args[index].strip());
        } catch (NumberFormatException e) {
            throw refused(name + " is \"" + args[index] + "\" and must be a number from " + least + " to " + most);
        }
        if (!(value >= least && value <= most)) {
            throw refused(name + " is " + value + " and must be from " + least + " to " + most);
        }
        return value;
    }

    /** The word at {@code index}, {@code fallback} when not given (none: it must be given); one of {@code words}. */
    public String oneOf(int index, String name, String fallback, List<String> words) {
        String choice = "one of " + String.join(", ", words);
        String word = index < args.length || fallback == null ? required(index, name, choice) : fallback;
        if (!words.contains(word)) {
            throw refused(name + " is \"" + word + "\" and must be " + choice);
        }
        return word;
    }

    /** The path at {@code index}, which must be given; {@code what} says what it must name, for a refusal. */
    public Path path(int index, String name, String what) {
        String text = required(index, name, what);
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw refused(name + " is \"" + text + "\" and must be " + what);
        }
    }

    /** The argument at {@code index}, which must be given and not blank; {@code what} it must be, for a refusal. */
    public String required(int index, String name, String what) {
        if (index >= args.length || args[index].isBlank()) {
            throw refused(name + " is missing and must be " + what);
        }
        return args[index];
    }

    /** A refusal with the usage line and {@code what} was wrong. */
    public IllegalArgumentException refused(String what) {
        return new IllegalArgumentException("usage: " + usage + "; " + what);
    }
}
