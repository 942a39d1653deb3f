package health.vigil.functions.control;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.Call;
import health.vigil.functions.common.HttpApi;
import health.vigil.json.Json;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Reads typed fields of a JSON request body and query parameters, with a 400 that names the field and the fix. */
final class RequestFields {
    private RequestFields() {}

    /**
     * A body that does not fit the route's shape (a field it does not take, or a value of another JSON type than its
     * field takes): 400 {@code MALFORMED_JSON}, as the typed routes' binding answers it, where a well-typed value that
     * breaks a rule is {@code INVALID_REQUEST} (ADR 0029).
     */
    static ValidationException malformed(String message) {
        return new ValidationException(ErrorCode.MALFORMED_JSON, message);
    }

    static JsonNode object(Call call, String example) {
        JsonNode body = call.json();
        if (!body.isObject()) {
            throw malformed("send a JSON object such as " + example);
        }
        return body;
    }

    /** Refuses a field the request does not have, as /score and the canary routes do; a misspelt option is not ignored. */
    static void requireKnown(JsonNode node, Set<String> known, String what) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!known.contains(field)) {
                throw malformed(what + " has an unknown field " + Json.quotedName(field) + "; allowed: "
                        + new TreeSet<>(known));
            }
        }
    }

    /** A text field, or null when it is absent or null; any other type is a 400 naming the field. */
    static String text(JsonNode body, String field, String example) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw malformed("\"" + field + "\" must be text; for example " + example);
        }
        return value.asText();
    }

    static Integer integer(JsonNode body, String field, boolean required, String example) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new ValidationException("\"" + field + "\" is missing; for example " + example);
            }
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw malformed("\"" + field + "\" must be a whole number; for example " + example);
        }
        return value.intValue();
    }

    static Double number(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw malformed("\"" + field + "\" must be a number");
        }
        return value.doubleValue();
    }

    static Optional<Integer> positiveInt(Call call, String name) {
        return call.queryParam(name).map(v -> {
            int n = HttpApi.positiveWholeNumber(v);
            if (n >= 1) {
                return n;
            }
            throw new ValidationException("query parameter '" + name + "' must be a version number (1, 2, ...)");
        });
    }
}
