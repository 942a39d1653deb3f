package health.vigil.cli.dashboard;

import health.vigil.error.ValidationException;
import health.vigil.security.Principal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/** A signed-in request for a page: who asks, the route's values and the query. */
record PageRequest(Principal principal, Map<String, String> route, Map<String, String> query) {

    String segment(String name) {
        return route.get(name);
    }

    Optional<String> param(String name) {
        return Optional.ofNullable(query.get(name)).filter(v -> !v.isBlank());
    }

    LocalDate day(String name, LocalDate fallback) {
        return param(name).map(v -> {
            LocalDate day;
            try {
                day = LocalDate.parse(v);
            } catch (DateTimeParseException e) {
                throw new ValidationException("query parameter '" + name + "' must be a date like 2026-11-24");
            }
            // The date reader takes years up to a billion, past what the pages' arithmetic and the log's days hold.
            if (day.getYear() < 1900 || day.getYear() > 9999) {
                throw new ValidationException("query parameter '" + name + "' must be a date of the years 1900 to 9999");
            }
            return day;
        }).orElse(fallback);
    }

    int whole(String name, int fallback, int min, int max) {
        return param(name).map(v -> {
            int value = v.equals("0") ? 0 : health.vigil.functions.common.HttpApi.positiveWholeNumber(v);
            if (value >= min && value <= max) {
                return value;
            }
            throw new ValidationException("query parameter '" + name + "' must be a whole number from " + min + " to "
                    + max);
        }).orElse(fallback);
    }
}
