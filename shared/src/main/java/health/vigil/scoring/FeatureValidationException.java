package health.vigil.scoring;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.util.List;

/**
 * One or more records of a request break their model's feature rules. The message lists the problems
 * (row, feature, rule), never a value the caller sent; {@link #problems()} holds them one by one.
 */
public class FeatureValidationException extends ValidationException {
    private static final long serialVersionUID = 1L;
    /** How many problems the message spells out; the rest are counted. */
    static final int PROBLEMS_IN_MESSAGE = 20;

    private final List<String> problems;

    public FeatureValidationException(List<String> problems) {
        super(ErrorCode.INVALID_FEATURE, summarise(problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }

    private static String summarise(List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a feature validation failure needs at least one problem");
        }
        String shown = String.join("; ", problems.subList(0, Math.min(problems.size(), PROBLEMS_IN_MESSAGE)));
        int more = problems.size() - PROBLEMS_IN_MESSAGE;
        return more > 0 ? shown + "; and " + more + " more problem" + (more == 1 ? "" : "s") : shown;
    }
}
