package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.error.ValidationException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * A running platform's HTTP API as the CLI reaches it: with the key of one persona from the home's {@code keys.json}.
 * Commands that read a running platform go through here instead of opening its stores.
 */
record RunningPlatform(URI url, Path home) {

    /** Refuses a {@code url} that is not a platform's address, before anything is sent. */
    RunningPlatform {
        // The platform's address, nothing more: a path (…/v2) was dropped as each call resolved its own route.
        // Schemes are read in any case (RFC 3986 3.1): HTTP:// is http://.
        String scheme = url.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || url.getHost() == null || (url.getRawPath() != null && !url.getRawPath().isEmpty()
                        && !url.getRawPath().equals("/")) || url.getRawQuery() != null) {
            throw new ValidationException("--url is the platform's address: http:// or https://, a host and a port, no"
                    + " path or query (for example http://127.0.0.1:7071; VIGIL_URL, read when --url is not given, is"
                    + " held to the same)");
        }
        // A user and password in the address are sent nowhere (every call authenticates with an API key), but every
        // message that names the platform would repeat them: refused, without repeating them here either.
        if (url.getRawUserInfo() != null) {
            throw new ValidationException("--url carries a user name or password before its host (user:password@),"
                    + " which Vigil never sends and would print in its messages: give the address alone, for example"
                    + " https://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort()) + " (calls"
                    + " authenticate with the API key in keys.json; VIGIL_URL is held to the same)");
        }
        // Every call carries an API key: over http:// it would cross the network readable by anyone on the way.
        if (scheme.equalsIgnoreCase("http") && !loopback(url.getHost())) {
            throw new ValidationException("--url " + url.getScheme() + "://" + url.getHost() + " would send the API"
                    + " key in clear text to another machine: use https:// for a platform elsewhere (http:// is for"
                    + " a platform on this machine only: localhost, 127.0.0.0/8 or [::1]; VIGIL_URL is held to the"
                    + " same)");
        }
    }

    /**
     * Whether {@code host} (as a URI gives it: an IPv6 address in brackets) names this machine's loopback interface:
     * {@code localhost}, an IPv4 address in 127.0.0.0/8, or the IPv6 loopback address. A name is not looked up.
     */
    static boolean loopback(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (bare.equalsIgnoreCase("localhost")) {
            return true;
        }
        java.util.regex.Matcher ipv4 = IPV4.matcher(bare);
        if (ipv4.matches()) {
            for (int octet = 1; octet <= 4; octet++) {
                if (Integer.parseInt(ipv4.group(octet)) > 255) {
                    return false;
                }
            }
            return ipv4.group(1).equals("127");
        }
        if (bare.contains(":")) {
            try {
                // An IPv6 literal (it has a colon, so it is parsed as one, never looked up).
                return java.net.InetAddress.getByName(bare).isLoopbackAddress();
            } catch (java.net.UnknownHostException notAnAddress) {
                return false;
            }
        }
        return false;
    }

    private static final java.util.regex.Pattern IPV4 =
            java.util.regex.Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    /** The home a command uses when it names none: {@code VIGIL_HOME}, else {@code .vigil} in the working folder. */
    static final String HOME_DEFAULT = "${env:VIGIL_HOME:-.vigil}";

    /** What --home is, in every command that calls a running platform. */
    static final String HOME_DESCRIPTION = "Vigil home holding keys.json (default: $VIGIL_HOME, else .vigil)";

    /**
     * {@code /models/NAME}, the model's route: its name checked as the platform checks it, so that a name typed with a
     * {@code /}, {@code ?} or {@code #} in it cannot make the command call another route than the one it names
     * ({@code readmission/versions/2/deploy?} given to a rollback); a bad name is the command line's fault (exit 2).
     */
    static String modelPath(String model) {
        return "/models/" + new health.vigil.model.ModelName(model).value();
    }

    /** The platform at {@code url}, or, when the command names none, where {@link PlatformAddress} finds it. */
    static RunningPlatform at(URI url, Path home) {
        return new RunningPlatform(PlatformAddress.resolve(url, home, System::getenv), home);
    }

    /** The options that name a running platform, shared by the commands that talk to one. */
    static final class Options {
        @picocli.CommandLine.Option(names = "--url", description = PlatformAddress.URL_DESCRIPTION)
        URI url;

        @picocli.CommandLine.Option(names = "--home", defaultValue = HOME_DEFAULT,
                description = HOME_DESCRIPTION)
        Path home;

        @picocli.CommandLine.Mixin
        PersonaOption persona = new PersonaOption();

        /** Sends the request with the key of the persona named with --as, or of {@code usual} when none was. */
        Answer send(String method, String pathAndQuery, String usual) throws IOException {
            return at(url, home).send(method, pathAndQuery, persona.or(usual));
        }

        /** A client with the key of the persona named with --as, or of {@code usual} when none was. */
        ControlClient client(String usual) {
            return at(url, home).client(persona.or(usual));
        }
    }

    /** The answer: its status and its JSON body. */
    record Answer(int status, JsonNode body) {
        String errorMessage() {
            return body.at("/error/message").asText();
        }
    }

    /** A client that calls the platform with {@code persona}'s key. */
    ControlClient client(String persona) {
        return new ControlClient(url, LocalAdapters.apiKey(home, persona), "persona '" + persona + "' of "
                + home.resolve("keys.json"));
    }

    Answer send(String method, String pathAndQuery, String persona) throws IOException {
        java.net.http.HttpResponse<String> response = client(persona).exchange(method, pathAndQuery, null);
        return new Answer(response.statusCode(), ControlClient.parse(response));
    }
}
