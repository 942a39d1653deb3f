package health.vigil.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import health.vigil.json.Json;
import health.vigil.port.AuditSigner;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A signed piece of audit evidence (an export digest or a chain-head anchor): a flat JSON object of string
 * fields plus {@code keyId} and {@code signature}. The signature covers every field but those two, serialised
 * as netstrings in key order after a format tag, so it does not depend on how a JSON writer orders or escapes
 * anything. The key id is a hint for finding the public key, not a claim: a statement is trusted only when
 * its signature verifies under a key the verifier trusts.
 */
public record SignedStatement(Map<String, String> fields, String keyId, String signature) {
    static final String SIGNED_FORMAT = "vigil-signed-statement/1";
    public static final String SIGNATURE = "signature";
    public static final String KEY_ID = "keyId";
    public static final String ALGORITHM = "algorithm";

    public SignedStatement {
        fields = java.util.Collections.unmodifiableMap(new TreeMap<>(fields));
        java.util.Objects.requireNonNull(keyId, "keyId");
        java.util.Objects.requireNonNull(signature, "signature");
    }

    /** True when the signature verifies under {@code key} over exactly these fields. */
    public boolean verifiesWith(java.security.PublicKey key) {
        return SigningKeys.verify(key, signedBytes(fields), signatureBytes());
    }

    /** Signs {@code fields} (with the algorithm added) and names the key that signed them. */
    public static SignedStatement sign(Map<String, String> fields, AuditSigner signer) {
        Map<String, String> signed = new TreeMap<>(fields);
        signed.put(ALGORITHM, AuditSigner.ALGORITHM);
        AuditSigner.Signature signature = signer.sign(signedBytes(signed));
        return new SignedStatement(signed, SigningKeys.keyId(signature.publicKeyDer()),
                Base64.getEncoder().encodeToString(signature.signature()));
    }

    /** The bytes the signature covers. */
    public static byte[] signedBytes(Map<String, String> fields) {
        StringBuilder out = new StringBuilder(512);
        Netstrings.append(out, SIGNED_FORMAT);
        Map<String, String> sorted = new TreeMap<>(fields);
        Netstrings.append(out, Integer.toString(sorted.size()));
        sorted.forEach((key, value) -> {
            Netstrings.append(out, key);
            Netstrings.append(out, value);
        });
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    public String field(String name) {
        return fields.getOrDefault(name, "");
    }

    /**
     * The signature's bytes, decoded from standard base64 with its {@code =} padding as the format writes it; empty
     * when the text is not that. Java's decoder alone also takes the text without its padding, which the format and
     * the reference verifier refuse: the same statement would then verify here and fail there.
     */
    public byte[] signatureBytes() {
        if (signature.length() % 4 != 0) {
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    /** The file content: the fields in a readable order and the signature last. */
    public byte[] toJson(java.util.List<String> order) {
        Map<String, String> out = new LinkedHashMap<>();
        order.forEach(name -> {
            if (fields.containsKey(name)) {
                out.put(name, fields.get(name));
            }
        });
        out.putAll(fields);
        out.put(KEY_ID, keyId);
        out.put(SIGNATURE, signature);
        try {
            return (Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a signed statement", e);
        }
    }

    /**
     * Parses a statement file; empty when it is not a flat JSON object of strings with a signature, in UTF-8 without
     * a byte order mark (the JSON reader would take UTF-16 or a byte order mark too, which the format does not), its
     * text all Unicode (an escaped unpaired surrogate cannot be signed as UTF-8).
     */
    public static Optional<SignedStatement> parse(byte[] content) {
        String text = EvidenceValues.utf8(content);
        if (text == null || text.startsWith("\uFEFF")) {
            return Optional.empty();
        }
        Map<String, String> all;
        try {
            all = Json.mapper().readValue(text, new TypeReference<TreeMap<String, String>>() {});
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
        if (all == null || all.entrySet().stream().anyMatch(e -> !EvidenceValues.isUnicode(e.getKey())
                || e.getValue() != null && !EvidenceValues.isUnicode(e.getValue()))) {
            return Optional.empty();
        }
        String signature = all.remove(SIGNATURE);
        String keyId = all.remove(KEY_ID);
        if (signature == null || keyId == null || all.values().stream().anyMatch(v -> v == null)) {
            return Optional.empty();
        }
        return Optional.of(new SignedStatement(all, keyId, signature));
    }
}
