package health.vigil.functions.common;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Picks the response's media type from a request's {@code Accept} header (RFC 9110 12.5.1): each offered type takes
 * the quality of the most specific range that matches it ({@code type/subtype} over {@code type/*} over
 * {@code *}/{@code *}); the highest quality above zero wins, ties going to the order the route offers them in.
 * No {@code Accept} header accepts anything.
 */
public final class ContentNegotiation {
    private ContentNegotiation() {}

    /** The chosen type, or NOT_ACCEPTABLE (406) naming what the route offers. */
    public static String choose(Optional<String> accept, List<String> offered) {
        if (accept.isEmpty() || accept.get().isBlank()) {
            return offered.get(0);
        }
        String best = null;
        double bestQuality = 0;
        for (String type : offered) {
            double quality = quality(accept.get(), type);
            if (quality > bestQuality) {
                best = type;
                bestQuality = quality;
            }
        }
        if (best == null) {
            throw new VigilException(ErrorCode.NOT_ACCEPTABLE, "none of the media types in the Accept header is"
                    + " offered here; ask for one of " + String.join(", ", offered));
        }
        return best;
    }

    /** The quality {@code accept} gives {@code type}: that of its most specific matching range, 0 when none matches. */
    static double quality(String accept, String type) {
        String[] wanted = type.split("/", 2);
        int bestSpecificity = -1;
        double quality = 0;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String[] mediaRange = parts[0].strip().toLowerCase(Locale.ROOT).split("/", 2);
            if (mediaRange.length != 2) {
                continue;
            }
            int specificity;
            if (mediaRange[0].equals(wanted[0]) && mediaRange[1].equals(wanted[1])) {
                specificity = 2;
            } else if (mediaRange[0].equals(wanted[0]) && mediaRange[1].equals("*")) {
                specificity = 1;
            } else if (mediaRange[0].equals("*") && mediaRange[1].equals("*")) {
                specificity = 0;
            } else {
                continue;
            }
            if (specificity > bestSpecificity) {
                bestSpecificity = specificity;
                quality = q(parts);
            }
        }
        return quality;
    }

    private static double q(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String[] parameter = parts[i].strip().split("=", 2);
            if (parameter.length == 2 && parameter[0].strip().equalsIgnoreCase("q")) {
                try {
                    double q = Double.parseDouble(parameter[1].strip());
                    return q >= 0 && q <= 1 ? q : 0;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
