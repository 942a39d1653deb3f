package health.vigil.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The columns of a CSV header that have no name. Several of them are not one column named twice: they are columns a
 * spreadsheet adds when a row has trailing commas, or names left out, and the header that has them says where.
 */
public final class BlankColumnNames {
    private BlankColumnNames() {}

    /**
     * What is wrong with a header whose names (blanks around them already removed) leave more than one column
     * unnamed, to follow "the header": which columns, counted from 1, and how to fix it; empty when at most one is.
     */
    public static Optional<String> problem(List<String> names) {
        List<Integer> blank = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).isBlank()) {
                blank.add(i + 1);
            }
        }
        if (blank.size() < 2) {
            return Optional.empty();
        }
        String last = blank.remove(blank.size() - 1).toString();
        return Optional.of("has blank column names: columns " + String.join(", ", blank.stream().map(String::valueOf)
                .toList()) + " and " + last + " (counted from 1) have no name; name every column, or remove the"
                + " columns without one (a comma at the end of the header line adds one)");
    }
}
