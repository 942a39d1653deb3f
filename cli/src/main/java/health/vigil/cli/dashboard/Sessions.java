package health.vigil.cli.dashboard;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's sign-in sessions, in memory: a random token (the cookie) stands for the API key the person
 * signed in with. Every page checks that key again with the platform's authenticator, so a key removed from
 * {@code keys.json} stops working at once. A session ends after {@link #IDLE} without a request, at sign-out, at the
 * first request after its key was withdrawn, or when the platform stops.
 */
final class Sessions {
    static final Duration IDLE = Duration.ofMinutes(30);
    private static final int MAX_SESSIONS = 1000;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Clock clock;

    Sessions(Clock clock) {
        this.clock = clock;
    }

    private static final class Session {
        final String apiKey;
        volatile Instant lastSeen;

        Session(String apiKey, Instant lastSeen) {
            this.apiKey = apiKey;
            this.lastSeen = lastSeen;
        }
    }

    /** A new session for a key that has already been checked; returns its token. */
    String open(String apiKey) {
        Instant now = clock.instant();
        sessions.values().removeIf(s -> s.lastSeen.plus(IDLE).isBefore(now));
        if (sessions.size() >= MAX_SESSIONS) {
            // Far more than one machine's people; the oldest make room.
            sessions.entrySet().stream().min(Map.Entry.comparingByValue(
                    java.util.Comparator.comparing((Session s) -> s.lastSeen))).ifPresent(e -> sessions.remove(e.getKey()));
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        sessions.put(token, new Session(apiKey, now));
        return token;
    }

    /** The key behind a live session, which the call keeps alive. */
    Optional<String> key(String token) {
        if (token == null) {
            return Optional.empty();
        }
        Session session = sessions.get(token);
        Instant now = clock.instant();
        if (session == null || session.lastSeen.plus(IDLE).isBefore(now)) {
            if (session != null) {
                sessions.remove(token);
            }
            return Optional.empty();
        }
        session.lastSeen = now;
        return Optional.of(session.apiKey);
    }

    void close(String token) {
        if (token != null) {
            sessions.remove(token);
        }
    }
}
