package health.vigil.text;

/**
 * The one place Vigil words a count for people, in the sentences its pages, reports, reasons and command lines
 * print: "1 day", "3 days", never "1 days" or "day(s)".
 */
public final class Words {
    private Words() {}

    /** {@code n} and the noun, made plural by an "s" unless {@code n} is one: "1 record", "0 records". */
    public static String count(long n, String noun) {
        return count(n, noun, noun + "s");
    }

    /** {@code n} and the noun, for a noun whose plural is not made by an "s": "1 analysis", "2 analyses". */
    public static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
