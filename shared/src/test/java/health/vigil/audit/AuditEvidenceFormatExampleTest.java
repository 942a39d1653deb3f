package health.vigil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.AuditRecord;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/audit-evidence-format.md is what an auditor re-implements a verifier from, so its worked example must be
 * what the code produces today: the example's two records are exported by {@link AuditEvidence} and every block
 * of the page is compared with the bytes that export wrote, the canonical bytes {@link AuditChain} hashes and the
 * bytes {@link SignedStatement} signs. The page's signature was made once with a key whose private half is gone,
 * so it is checked by verifying it, in both the P1363 form Vigil writes and the DER form the page derives.
 */
class AuditEvidenceFormatExampleTest {
    static final Path DOC = Path.of("..", "docs", "audit-evidence-format.md");
    static final Pattern BLOCK = Pattern.compile("<!-- example:([a-z0-9-]+) -->\\n```[a-z]*\\n(.*?)\\n```",
            Pattern.DOTALL);

    static String doc;
    static AuditRecord first;
    static AuditRecord second;
    static InMemoryArtifactStore artifacts;
    static ExportResult export;

    @BeforeAll
    static void exportTheExample() throws IOException {
        doc = Files.readString(DOC);
        first = hashed(new AuditRecord("7d1c5e0a-3f2b-4c8e-9a47-1b6e2d9f0c35", "2026-11-03", 1,
                Instant.parse("2026-11-03T09:15:27.120Z"), "data-scientist:amara", "model.register",
                "/models/readmission/versions/3", "registered", Map.of("version", "3"), AuditChain.GENESIS_HASH, null));
        second = hashed(new AuditRecord("c4a90b62-58e1-4d3f-b2a0-6e7f1d8c9b04", "2026-11-03", 2,
                Instant.parse("2026-11-03T10:02:41Z"), "approver:dr-müller", "model.approve",
                "/models/readmission/versions/3", "approved",
                Map.of("version", "3", "justification", "Kalibrierung geprüft"), first.hash(), null));
        InMemoryAuditStore store = new InMemoryAuditStore();
        assertThat(store.tryAppend(first) && store.tryAppend(second)).isTrue();
        artifacts = new InMemoryArtifactStore();
        MutableClock clock = new MutableClock(Instant.parse("2026-11-04T00:15:00.250Z"));
        AuditEvidence evidence = new AuditEvidence(store, new AuditLog(store, clock), artifacts,
                KeyPairSigner.generate(new SecureRandom()), clock);
        export = evidence.exportPreviousDay();
    }

    @Test
    void theExportFileAndEachRecordsBytesAndHashAreWhatTheCodeWrites() {
        byte[] file = artifacts.get(export.records());
        assertThat(block("export") + "\n").isEqualTo(new String(file, StandardCharsets.UTF_8));
        assertThat(doc).contains("`" + export.records() + "` (" + file.length + " bytes");
        assertThat(block("record-1-bytes")).isEqualTo(new String(AuditChain.canonicalForm(first), StandardCharsets.UTF_8));
        assertThat(block("record-1-hash")).isEqualTo(AuditChain.hashOf(first));
        assertThat(block("record-2-bytes")).isEqualTo(new String(AuditChain.canonicalForm(second), StandardCharsets.UTF_8));
        assertThat(block("record-2-hash")).isEqualTo(AuditChain.hashOf(second));
    }

    @Test
    void theDigestHasTheFieldsAndSignedBytesOfTheCodesDigestAndItsSignatureVerifiesUnderTheExampleKey()
            throws Exception {
        SignedStatement written = SignedStatement.parse(artifacts.get(export.digest())).orElseThrow();
        SignedStatement shown = SignedStatement.parse(block("digest").getBytes(StandardCharsets.UTF_8)).orElseThrow();
        assertThat(shown.fields()).isEqualTo(written.fields());
        assertThat(block("digest-signed-bytes").getBytes(StandardCharsets.UTF_8))
                .isEqualTo(SignedStatement.signedBytes(written.fields()));

        PublicKey key = SigningKeys.fromPem(block("key")).orElseThrow();
        assertThat(shown.keyId()).isEqualTo(SigningKeys.keyId(key));
        assertThat(doc).contains("`" + EvidenceLayout.keyName(shown.keyId()) + "`");
        assertThat(shown.verifiesWith(key)).as("the example signature, in Vigil's P1363 form").isTrue();

        byte[] der = HexFormat.of().parseHex(block("signature-der"));
        assertThat(der).isEqualTo(der(shown.signatureBytes()));
        Signature openSslForm = Signature.getInstance("SHA256withECDSA");
        openSslForm.initVerify(key);
        openSslForm.update(block("digest-signed-bytes").getBytes(StandardCharsets.UTF_8));
        assertThat(openSslForm.verify(der)).as("the example signature, in the DER form the page derives").isTrue();
    }

    @Test
    void thePageNamesEveryFormatTagFieldMemberAndKindOfFailure() {
        assertThat(doc).contains("`" + AuditChain.FORMAT + "`", "`" + SignedStatement.SIGNED_FORMAT + "`",
                "`" + EvidenceLayout.DIGEST_FORMAT + "`", "`" + EvidenceLayout.ANCHOR_FORMAT + "`",
                "last " + EvidenceVerifier.PREVIOUS_DAY_HASHES + " records",
                "holds such a write to " + AuditLog.MIDNIGHT_RACE.toMinutes() + " minutes");
        for (String field : EvidenceLayout.DIGEST_ORDER) {
            assertThat(doc).as("digest field " + field).containsPattern("\\n\\| [^|]*`" + field + "`");
        }
        for (String field : EvidenceLayout.ANCHOR_ORDER) {
            assertThat(doc).as("anchor field " + field).containsPattern("\\n\\| [^|]*`" + field + "`");
        }
        for (var component : AuditRecord.class.getRecordComponents()) {
            assertThat(doc).as("record member " + component.getName()).contains("| `" + component.getName() + "` |");
        }
        for (EvidenceReport.Kind kind : EvidenceReport.Kind.values()) {
            assertThat(doc).as("kind of failure " + kind).contains("`" + kind + "`");
        }
    }

    private static AuditRecord hashed(AuditRecord record) {
        return AuditChain.withHash(record, AuditChain.hashOf(record));
    }

    private static String block(String name) {
        Matcher matcher = BLOCK.matcher(doc);
        while (matcher.find()) {
            if (matcher.group(1).equals(name)) {
                return matcher.group(2);
            }
        }
        throw new AssertionError(DOC + " has no block marked <!-- example:" + name + " -->");
    }

    /** The DER form of an r || s signature, written here from ASN.1's rules rather than by a library. */
    private static byte[] der(byte[] p1363) {
        byte[] r = new BigInteger(1, Arrays.copyOfRange(p1363, 0, 32)).toByteArray();
        byte[] s = new BigInteger(1, Arrays.copyOfRange(p1363, 32, 64)).toByteArray();
        byte[] out = new byte[6 + r.length + s.length];
        out[0] = 0x30;
        out[1] = (byte) (4 + r.length + s.length);
        out[2] = 0x02;
        out[3] = (byte) r.length;
        System.arraycopy(r, 0, out, 4, r.length);
        out[4 + r.length] = 0x02;
        out[5 + r.length] = (byte) s.length;
        System.arraycopy(s, 0, out, 6 + r.length, s.length);
        return out;
    }
}
