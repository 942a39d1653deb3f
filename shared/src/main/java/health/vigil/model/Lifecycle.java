package health.vigil.model;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The one table of which stage a version may move to from which: the governed path
 * {@code registered → gates running → gates passed → approved → canary → production}, with its exits
 * (gates failed, rejected, rolled back, retired). Every service that moves a version asks this class first;
 * nothing else decides a transition.
 *
 * <p>Re-evaluation is allowed until a human has decided (a version whose gates passed or failed may run its
 * gates again, for example on a newly registered evaluation dataset); after approval the gate outcome is
 * frozen, because the approval was signed against it. A rejected version never moves again. A retired version
 * may return to production (a rollback to a previous stable); a rolled-back one may only be tried again as a
 * canary, never put straight back on all traffic.
 */
public final class Lifecycle {
    private static final Map<Stage, Set<Stage>> ALLOWED = new EnumMap<>(Stage.class);

    static {
        allow(Stage.REGISTERED, Stage.GATES_RUNNING);
        allow(Stage.GATES_RUNNING, Stage.GATES_PASSED, Stage.GATES_FAILED);
        allow(Stage.GATES_PASSED, Stage.GATES_RUNNING, Stage.APPROVED, Stage.REJECTED);
        allow(Stage.GATES_FAILED, Stage.GATES_RUNNING, Stage.REJECTED);
        allow(Stage.APPROVED, Stage.CANARY, Stage.PRODUCTION, Stage.RETIRED);
        allow(Stage.REJECTED);
        allow(Stage.CANARY, Stage.PRODUCTION, Stage.ROLLED_BACK);
        allow(Stage.PRODUCTION, Stage.RETIRED, Stage.ROLLED_BACK);
        allow(Stage.ROLLED_BACK, Stage.CANARY, Stage.RETIRED);
        allow(Stage.RETIRED, Stage.PRODUCTION, Stage.CANARY);
    }

    private Lifecycle() {
    }

    private static void allow(Stage from, Stage... to) {
        Set<Stage> targets = EnumSet.noneOf(Stage.class);
        Collections.addAll(targets, to);
        ALLOWED.put(from, Collections.unmodifiableSet(targets));
    }

    /** True when a version in {@code from} may move to {@code to}. Staying in the same stage is not a move. */
    public static boolean allows(Stage from, Stage to) {
        return ALLOWED.get(Objects.requireNonNull(from, "from")).contains(Objects.requireNonNull(to, "to"));
    }

    /** The stages a version in {@code from} may move to. */
    public static Set<Stage> next(Stage from) {
        return ALLOWED.get(Objects.requireNonNull(from, "from"));
    }

    /** The stages from which a version may move to {@code to}. */
    public static Set<Stage> from(Stage to) {
        Objects.requireNonNull(to, "to");
        Set<Stage> sources = EnumSet.noneOf(Stage.class);
        ALLOWED.forEach((source, targets) -> {
            if (targets.contains(to)) {
                sources.add(source);
            }
        });
        return Collections.unmodifiableSet(sources);
    }

    /**
     * Refuses a move the table does not allow with {@code INVALID_STATE} and a message that names the version's
     * stage, what it means, and from which stages the wanted one can be reached.
     */
    public static void require(ModelVersion version, Stage from, Stage to) {
        if (allows(from, to)) {
            return;
        }
        throw new ConflictException(ErrorCode.INVALID_STATE, refusal(version, from, to));
    }

    static String refusal(ModelVersion version, Stage from, Stage to) {
        String subject = version == null ? "the version" : version.toString();
        StringBuilder message = new StringBuilder(subject).append(" cannot move to ").append(to.wireName())
                .append(": it is ").append(from.meaning()).append('.');
        Set<Stage> sources = from(to);
        if (sources.isEmpty()) {
            message.append(" No version can move to ").append(to.wireName()).append('.');
        } else if (from == to) {
            message.append(" It is already there.");
        } else {
            message.append(" A version reaches ").append(to.wireName()).append(" only from ")
                    .append(sources.stream().map(Stage::wireName).collect(Collectors.joining(" or ")))
                    .append(next(from).isEmpty() ? "; this one can never move again." : "; from "
                            + from.wireName() + " it can move to " + next(from).stream().map(Stage::wireName)
                                    .collect(Collectors.joining(" or ")) + ".");
        }
        return message.toString();
    }
}
