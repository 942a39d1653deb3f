package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.adapter.local.LocalAuditSigner;
import health.vigil.audit.AuditChain;
import health.vigil.audit.AuditEvidence;
import health.vigil.audit.AuditLog;
import health.vigil.audit.SignedStatement;
import health.vigil.audit.SigningKeys;
import health.vigil.audit.Tampering;
import health.vigil.config.VigilConfig;
import health.vigil.error.VigilException;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference verifier in docs/tools (Python and openssl, written from docs/audit-evidence-format.md alone) and
 * {@code vigil audit verify} on the same evidence Vigil made, which they must judge alike: the same verdict, the same
 * kind of failure in the same file and line with the same message (where the two JSON readers word why a line is not
 * JSON their own ways, the case says so), the same notes. One log runs over two days with hourly anchors, the
 * daily export of the first day, and the folder {@code vigil audit export} writes for both days; copies with one
 * record changed, one deleted, two swapped, one whose link is null or one signature bit flipped fail. Another log
 * has a day exported at noon and again whole the next morning, then the next day exported: the folder written for
 * that next day holds the earlier digests without their exports and verifies, the folder of the first day with the
 * noon export instead of the whole day's fails {@code MISSING_EXPORT}, and with both exports it verifies. A digest
 * of three days whose export is left out, beside a noon export of some of them, is a note where its count cannot
 * tell how many records the held days have, and {@code MISSING_EXPORT} where it can; records of its last day written
 * after it read them do not stand for records of its earlier days that no export holds, nor records added to one of
 * its days for another day's, since it names each day's last record.
 */
class ReferenceVerifierIT {
    static final Path SCRIPT = Path.of("..", "docs", "tools", "verify-audit-export.py").toAbsolutePath().normalize();

    @TempDir
    static Path work;

    static Path home;
    static Path folder;
    static Path key;

    /** The home of the log whose first day was exported at noon and again whole, and its public key. */
    static Path twiceHome;
    static Path twiceKey;
    static LocalDate twiceDay;
    /** The noon export of that day, in the container. */
    static String noonExport;

    @BeforeAll
    static void writeALogAndExportIt() throws IOException {
        requireTool("python3", "--version");
        requireTool("openssl", "version");
        home = work.resolve("home");
        LocalDate first = LocalDate.now(ZoneOffset.UTC).minusDays(3);
        Instant start = first.atTime(21, 0).toInstant(ZoneOffset.UTC);
        try (LocalAdapters local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
            AuditStore store = local.auditStore();
            for (int hour = 0; hour < 6; hour++) {
                Instant at = start.plus(Duration.ofHours(hour));
                if (hour == 3) {
                    evidence(local, at.plusSeconds(30)).exportPreviousDay();
                }
                evidence(local, at.plusSeconds(60)).anchor();
                for (int i = 0; i < 3; i++) {
                    Clock clock = Clock.fixed(at.plus(Duration.ofMinutes(5 + 10L * i)).plusMillis(37L * i), ZoneOffset.UTC);
                    new AuditLog(store, clock).record("operator-" + hour + "-" + i, "model.register",
                            "/models/readmission/versions/" + (hour + 1), "registered",
                            Map.of("version", Integer.toString(hour + 1), "note", "geprüft " + i));
                }
            }
            evidence(local, start.plus(Duration.ofHours(6)).plusSeconds(60)).anchor();
        }
        folder = work.resolve("evidence");
        assertThat(AuditCommandTest.run("audit", "export", "--from", first.toString(), "--to",
                first.plusDays(1).toString(), "--out", folder.toString(), "--home", home.toString())).startsWith("0\n");
        key = Files.writeString(work.resolve("audit-signing.pem"), SigningKeys.pem(LocalAuditSigner.open(home).publicKey()));
        writeALogWhoseFirstDayIsExportedTwice();
    }

    /**
     * Records on a day, its export at noon (digest 1), more records, the daily export of the whole day the next
     * morning (digest 2), records on the next day and that day's daily export (digest 3).
     */
    static void writeALogWhoseFirstDayIsExportedTwice() throws IOException {
        twiceHome = work.resolve("home-twice");
        twiceDay = LocalDate.now(ZoneOffset.UTC).minusDays(3);
        LocalDate next = twiceDay.plusDays(1);
        try (LocalAdapters local = LocalAdapters.at(twiceHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            register(local, twiceDay.atTime(9, 0).toInstant(ZoneOffset.UTC), "morning");
            noonExport = evidence(local, twiceDay.atTime(12, 0).toInstant(ZoneOffset.UTC))
                    .export(twiceDay, twiceDay, "auditor").records();
            register(local, twiceDay.atTime(15, 0).toInstant(ZoneOffset.UTC), "afternoon");
            evidence(local, next.atTime(0, 15).toInstant(ZoneOffset.UTC)).exportPreviousDay();
            register(local, next.atTime(9, 0).toInstant(ZoneOffset.UTC), "next-day");
            evidence(local, next.plusDays(1).atTime(0, 15).toInstant(ZoneOffset.UTC)).exportPreviousDay();
        }
        twiceKey = Files.writeString(work.resolve("audit-signing-twice.pem"),
                SigningKeys.pem(LocalAuditSigner.open(twiceHome).publicKey()));
    }

    private static void register(LocalAdapters local, Instant at, String actor) {
        for (int i = 0; i < 3; i++) {
            new AuditLog(local.auditStore(), Clock.fixed(at.plus(Duration.ofMinutes(10L * i)), ZoneOffset.UTC))
                    .record(actor + "-" + i, "model.register", "/models/readmission/versions/1", "registered",
                            Map.of());
        }
    }

    @Test
    void theExportedFolderVerifiesAndSoDoesTheWholeContainer() throws Exception {
        assertThat(digests(folder)).hasSize(2);
        // Digest 1's export of the first day is not in the folder; the export of both days holds all its records.
        assertThat(bothVerify(folder, key)).startsWith("0\n").contains("\nVERIFIED").contains("1 export,")
                .contains("note: digests/00000001.json names ");

        Path container = copy(LocalAdapters.blobFolder(home.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS), "container");
        assertThat(bothVerify(container, key)).startsWith("0\n").contains("\nVERIFIED").contains("2 exports")
                .doesNotContain("note:");
    }

    @Test
    void theFolderExportedForALaterDayHoldsTheEarlierDigestsWithoutTheirExportsAndVerifies() {
        LocalDate later = twiceDay.plusDays(1);
        Path evidence = work.resolve("later-day");
        assertThat(AuditCommandTest.run("audit", "export", "--from", later.toString(), "--to", later.toString(),
                "--out", evidence.toString(), "--home", twiceHome.toString())).startsWith("0\n");

        assertThat(bothVerify(evidence, twiceKey)).startsWith("0\n").contains("\nVERIFIED")
                .contains("3 digests, 1 export,")
                .contains("note: digests/00000001.json names " + noonExport + ", which is not among these files; its"
                        + " period " + twiceDay + " to " + twiceDay + " is outside the days these exports hold")
                .contains("note: digests/00000002.json names ");
    }

    @Test
    void aFolderWithTheNoonExportOfADayWhoseWholeDaysDigestIsThereFailsAndWithBothExportsVerifies() throws Exception {
        Path older = work.resolve("noon-instead");
        assertThat(AuditCommandTest.run("audit", "export", "--from", twiceDay.toString(), "--to", twiceDay.toString(),
                "--out", older.toString(), "--home", twiceHome.toString())).startsWith("0\n");
        assertThat(digests(older)).hasSize(2);
        Path whole = files(older.resolve("exports")).get(0);
        Path noon = LocalAdapters.blobFolder(twiceHome.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS)
                .resolve(noonExport);
        Path both = copy(older, "noon-and-whole");
        Files.copy(noon, both.resolve(noonExport));

        Files.delete(whole);
        Files.copy(noon, older.resolve(noonExport));
        // Digest 2 attests the day's records after noon, which the noon export lacks.
        long atNoon = Files.readAllLines(noon).size();
        assertThat(bothVerify(older, twiceKey)).startsWith("1\n")
                .contains("FAILED MISSING_EXPORT in digests/00000002.json: ")
                .contains(twiceDay + "#" + (atNoon + 1) + " to " + twiceDay + "#").doesNotContain("\nVERIFIED");

        assertThat(bothVerify(both, twiceKey)).startsWith("0\n").contains("\nVERIFIED").contains("2 exports")
                .doesNotContain("note:");
    }

    /**
     * The next day exported at its noon, then one of the day's records changed and every later hash recomputed, the
     * next day's records included, as someone with the database file could: the store's chain is whole again, and
     * nothing signed names a record of the day, so the day's export is signed over the changed day. Together the
     * next day's export does not chain to the day the other one holds; alone it chains to a record the day's digest
     * does not name, so the export left out is asked for.
     */
    @Test
    void anExportChainedToADayOtherThanTheOneAnEarlierExportHoldsIsABrokenLinkForBothVerifiers() throws Exception {
        Path rewrittenHome = work.resolve("home-rewritten");
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(3);
        LocalDate next = day.plusDays(1);
        String earlier;
        String later;
        try (LocalAdapters local = LocalAdapters.at(rewrittenHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            register(local, day.atTime(9, 0).toInstant(ZoneOffset.UTC), "day");
            register(local, next.atTime(9, 0).toInstant(ZoneOffset.UTC), "next-day");
            later = evidence(local, next.atTime(12, 0).toInstant(ZoneOffset.UTC)).export(next, next, "auditor")
                    .records();
            List<AuditRecord> both = new ArrayList<>(local.auditStore().read(day.toString()));
            both.addAll(local.auditStore().read(next.toString()));
            AuditRecord second = both.get(1);
            both.set(1, new AuditRecord(second.id(), second.partition(), second.sequence(), second.time(),
                    "someone-else", second.action(), second.subject(), second.outcome(), second.details(),
                    second.previousHash(), null));
            rewrite(rewrittenHome, Tampering.rechain(both, 1));
            earlier = evidence(local, next.atTime(13, 0).toInstant(ZoneOffset.UTC)).export(day, day, "auditor")
                    .records();
        }
        Path trusted = Files.writeString(work.resolve("audit-signing-rewritten.pem"),
                SigningKeys.pem(LocalAuditSigner.open(rewrittenHome).publicKey()));
        // The folder an auditor holds: the two exports, the digests that sign them and the key.
        Path together = copy(LocalAdapters.blobFolder(rewrittenHome.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS),
                "rewritten");
        assertThat(files(together.resolve("exports"))).hasSize(2);
        Path alone = copy(together, "rewritten-later-alone");
        Files.delete(alone.resolve(earlier));

        assertThat(bothVerify(together, trusted)).startsWith("1\n")
                .contains("FAILED BROKEN_LINK in " + later + " line 1: ").contains(earlier)
                .doesNotContain("\nVERIFIED");
        // Alone, the next day's export chains to a record of the day that the day's digest does not name as its last:
        // only the export left out could show it.
        assertThat(bothVerify(alone, trusted)).startsWith("1\n")
                .contains("FAILED MISSING_LINKED_EXPORT in " + later + " line 1: ").contains(earlier)
                .doesNotContain("\nVERIFIED");
    }

    /** Writes {@code records} over the stored ones, the append-only trigger dropped first and put back after. */
    private static void rewrite(Path home, List<AuditRecord> records) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("audit.db"))) {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("DROP TRIGGER IF EXISTS audit_no_update");
            }
            try (PreparedStatement p = c.prepareStatement(
                    "UPDATE audit SET document = ? WHERE partition = ? AND sequence = ?")) {
                for (AuditRecord r : records) {
                    p.setString(1, Json.write(r));
                    p.setString(2, r.partition());
                    p.setLong(3, r.sequence());
                    assertThat(p.executeUpdate()).isEqualTo(1);
                }
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
                        + " BEGIN SELECT RAISE(ABORT, 'audit records are append-only: UPDATE is not allowed'); END");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aChangedFieldADeletedRecordTwoSwappedRecordsAndAFlippedSignatureBitEachFail() throws Exception {
        Path changed = copy(folder, "changed");
        // Line 1 is the record of the key's publication, line 2 operator-0-0's record, line 3 operator-0-1's.
        editExport(changed, lines -> lines.set(2, lines.get(2).replace("\"actor\":\"operator-0-1\"",
                "\"actor\":\"operator-0-9\"")));
        assertFails(changed, "FAILED HASH_MISMATCH in exports/", "line 3");

        Path deleted = copy(folder, "deleted");
        editExport(deleted, lines -> lines.remove(2));
        assertFails(deleted, "FAILED SEQUENCE_GAP in exports/", "line 3");

        Path swapped = copy(folder, "swapped");
        editExport(swapped, lines -> lines.set(1, lines.set(2, lines.get(1))));
        assertFails(swapped, "FAILED SEQUENCE_GAP in exports/", "line 2");

        Path unlinked = copy(folder, "unlinked");
        editExport(unlinked, lines -> lines.set(2, withoutLink(lines.get(2))));
        assertFails(unlinked, "FAILED BROKEN_LINK in exports/", "line 3");

        Path flipped = copy(folder, "flipped");
        Path digest = flipped.resolve("digests/00000002.json");
        String text = Files.readString(digest);
        String signature = text.replaceAll("(?s).*\"signature\" : \"([^\"]+)\".*", "$1");
        byte[] bytes = Base64.getDecoder().decode(signature);
        bytes[40] ^= 0x01;
        Files.writeString(digest, text.replace(signature, Base64.getEncoder().encodeToString(bytes)));
        assertFails(flipped, "FAILED BAD_SIGNATURE in digests/00000002.json");
    }

    /**
     * The kinds of failure the other cases do not reach, each explained word for word alike by both verifiers: a key
     * that did not sign, an export whose bytes differ though its records do not, an export cut short, a digest chain
     * without its first digest, and a record rewritten consistently that contradicts its own digest.
     */
    @Test
    void theOtherKindsOfFailureAreExplainedWordForWordAlikeByBothVerifiers() throws Exception {
        assertThat(bothVerify(folder, twiceKey)).startsWith("1\n").contains("FAILED UNTRUSTED_KEY in anchors/");

        Path spaced = copy(folder, "export-spaced");
        editExport(spaced, lines -> lines.set(1, lines.get(1).replaceFirst("^\\{", "{ ")));
        assertThat(bothVerify(spaced, key)).startsWith("1\n").contains("FAILED EXPORT_MISMATCH in exports/");

        Path cut = copy(folder, "export-cut-short");
        editExport(cut, lines -> lines.remove(lines.size() - 1));
        assertThat(bothVerify(cut, key)).startsWith("1\n").contains("FAILED TRUNCATED in exports/");

        Path firstGone = copy(folder, "first-digest-removed");
        Files.delete(firstGone.resolve("digests/00000001.json"));
        assertThat(bothVerify(firstGone, key)).startsWith("1\n")
                .contains("FAILED BROKEN_STATEMENT_CHAIN in digests/00000002.json: ");

        Path rewritten = copy(folder, "first-record-rewritten");
        editExport(rewritten, lines -> lines.set(0, withActor(lines.get(0), "someone-else")));
        assertThat(bothVerify(rewritten, key)).startsWith("1\n")
                .contains("FAILED CONTRADICTS_SIGNED_EVIDENCE in exports/").contains(" line 1: ");
    }

    /** The line with "actor" set to {@code actor} and "hash" recomputed to match, as one who rewrote it would. */
    private static String withActor(String line, String actor) {
        AuditRecord r = Json.read("an exported record", line, AuditRecord.class);
        AuditRecord edited = new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), actor, r.action(),
                r.subject(), r.outcome(), r.details(), r.previousHash(), null);
        return rehashed(line.replace("\"actor\":\"" + r.actor() + "\"", "\"actor\":\"" + actor + "\""), r, edited);
    }

    /** {@code text}, a line of {@code original} edited to hold {@code edited}, with the hash recomputed to match. */
    private static String rehashed(String text, AuditRecord original, AuditRecord edited) {
        String rehashed = text.replace("\"hash\":\"" + original.hash() + "\"",
                "\"hash\":\"" + AuditChain.hashOf(edited) + "\"");
        assertThat(rehashed).isNotEqualTo(text).doesNotContain(original.hash());
        return rehashed;
    }

    @Test
    void aSignatureWithoutItsBase64PaddingIsABadSignatureForBothVerifiers() throws Exception {
        Path unpadded = copy(folder, "signature-unpadded");
        Path digest = unpadded.resolve("digests/00000002.json");
        String text = Files.readString(digest);
        String signature = text.replaceAll("(?s).*\"signature\" : \"([^\"]+)\".*", "$1");
        assertThat(signature).endsWith("==");
        Files.writeString(digest, text.replace(signature, signature.substring(0, signature.length() - 2)));
        assertFails(unpadded, "FAILED BAD_SIGNATURE in digests/00000002.json");
    }

    @Test
    void bothVerifiersNameTheControlCharactersOfWhatTheyPrintAndReadNoFurtherThanTheLimitsOfTheFormat()
            throws Exception {
        // A file whose name would return the cursor, clear the line and print a VERIFIED of its own, then hide the
        // rest.
        Path forged = copy(folder, "control-characters");
        Files.writeString(forged.resolve("exports/x\r\u001b[2KVERIFIED\u001b[8m"), "");
        assertThat(pythonVerifies(forged, key)).doesNotContain("\u001b").doesNotContain("\r");
        assertThat(bothVerify(forged, key)).startsWith("1\n")
                .contains("FAILED UNSIGNED_EXPORT in exports/x[U+000D][U+001B][2KVERIFIED[U+001B][8m: ")
                .doesNotContain("\u001b");

        // A digest of more than 1 MiB is not a statement Vigil wrote, whatever it holds: here its own signed fields.
        Path largeDigest = copy(folder, "statement-over-1-mib");
        Path digest = largeDigest.resolve("digests/00000002.json");
        String json = Files.readString(digest);
        Files.writeString(digest, json.replace("\n}", " ".repeat(1 << 20) + "\n}"));
        assertThat(bothVerify(largeDigest, key)).startsWith("1\n")
                .contains("FAILED MALFORMED_STATEMENT in digests/00000002.json: ");

        // A line of more than 4 MiB is not a record Vigil wrote, though the JSON in it is the record's.
        Path longLine = copy(folder, "line-over-4-mib");
        editExport(longLine, lines -> lines.set(1, lines.get(1).replaceFirst("\\}$", " ".repeat(4 << 20) + "}")));
        assertThat(bothVerify(longLine, key)).startsWith("1\n")
                .contains("FAILED MALFORMED_RECORD in exports/").contains(" line 2: ");
    }

    @Test
    void aFolderWithoutItsAnchorsFailsForBothVerifiers() throws Exception {
        Path withoutAnchors = copy(folder, "without-anchors");
        String named = field(withoutAnchors.resolve("digests/00000001.json"), "latestAnchor");
        assertThat(named).startsWith("anchors/");
        for (Path anchor : files(withoutAnchors.resolve("anchors"))) {
            Files.delete(anchor);
        }
        assertThat(bothVerify(withoutAnchors, key)).startsWith("1\n")
                .contains("FAILED BROKEN_STATEMENT_CHAIN in digests/00000001.json: digests/00000001.json names "
                        + named + " as the latest anchor signed before it, which is not among the anchors here");
    }

    @Test
    void recordLinesNotWrittenAsTheFormatDefinesThemAreMalformedForBothVerifiers() throws Exception {
        // Line 3 is operator-0-1's record; its hash still stands where the line keeps one.
        Map<String, Consumer<List<String>>> edits = new LinkedHashMap<>();
        edits.put("no-hash", lines -> lines.set(2, lines.get(2).replaceAll(",\"hash\":\"[0-9a-f]{64}\"", "")));
        edits.put("null-detail", lines -> lines.set(2, lines.get(2).replace("\"note\":\"geprüft 1\"", "\"note\":null")));
        edits.put("lower-case-time", lines -> lines.set(2, lines.get(2).replaceAll("\"time\":\"([^\"]*)T([^\"]*)Z\"",
                "\"time\":\"$1t$2z\"")));
        edits.put("negative-sequence", lines -> lines.set(2, lines.get(2).replace("\"sequence\":", "\"sequence\":-")));
        edits.put("unpaired-surrogate", lines -> lines.set(2, lines.get(2).replace("operator-0-1", "operator-0-1\\ud800")));
        edits.put("carriage-return", lines -> lines.set(2, lines.get(2) + "\r"));
        // Nested deeper than either JSON reader goes: a reason, not a stack trace.
        edits.put("deeply-nested", lines -> lines.set(2, "[".repeat(5000) + "]".repeat(5000)));
        for (Map.Entry<String, Consumer<List<String>>> edit : edits.entrySet()) {
            Path edited = copy(folder, "line-" + edit.getKey());
            editExport(edited, edit.getValue());
            String verdict = edit.getKey().equals("deeply-nested")
                    ? bothVerifyWordedApart(edited, key, "each JSON reader says in its own words where and why it"
                            + " stopped; Jackson names its nesting limit, Python's reader runs out of recursion")
                    : bothVerify(edited, key);
            assertThat(verdict).as(edit.getKey()).startsWith("1\n")
                    .contains("FAILED MALFORMED_RECORD in exports/").contains(" line 3: ");
        }

        Path latin1 = copy(folder, "line-latin1");
        Path export = files(latin1.resolve("exports")).get(0);
        // "geprüft 0" on line 2 is the first text outside ASCII: its ü becomes the one byte 0xFC, which is not UTF-8.
        Files.write(export, Files.readString(export).getBytes(StandardCharsets.ISO_8859_1));
        assertThat(bothVerify(latin1, key)).startsWith("1\n").contains("FAILED MALFORMED_RECORD in exports/")
                .contains(" line 2: ");

        Path unterminated = copy(folder, "line-unterminated");
        export = files(unterminated.resolve("exports")).get(0);
        String text = Files.readString(export);
        Files.writeString(export, text.substring(0, text.length() - 1));
        assertThat(bothVerify(unterminated, key)).startsWith("1\n").contains("FAILED MALFORMED_RECORD in exports/")
                .contains(" line " + text.lines().count() + ": ");
    }

    @Test
    void signedNumbersTimesAndTextNotWrittenAsTheFormatDefinesThemAreMalformedForBothVerifiers() throws Exception {
        String readAt = Files.readString(folder.resolve("digests/00000002.json"))
                .replaceAll("(?s).*\"readAt\" : \"([^\"]+)\".*", "$1");
        String otherDigits = readAt.chars().mapToObj(c -> Character.isDigit(c) ? Character.toString(c - '0' + 0x0660)
                : Character.toString(c)).reduce("", String::concat);
        Map<String, Map<String, String>> changes = new LinkedHashMap<>();
        changes.put("count-with-sign", Map.of("count", "+1"));
        changes.put("number-with-leading-zero", Map.of("number", "02"));
        changes.put("reference-with-sign", Map.of("lastRecord", "2026-11-03#+2"));
        changes.put("reference-with-leading-zero", Map.of("lastRecord", "2026-11-03#02"));
        changes.put("reference-beyond-2^63-1", Map.of("chainHeadRecord", "2026-11-03#9223372036854775808"));
        changes.put("time-with-offset", Map.of("exportedAt", readAt.replace("Z", "+00:00")));
        changes.put("time-in-other-digits", Map.of("readAt", otherDigits));
        for (Map.Entry<String, Map<String, String>> change : changes.entrySet()) {
            Path edited = copy(folder, "digest-" + change.getKey().replace("^", ""));
            resignLastDigest(edited, change.getValue());
            if (change.getKey().startsWith("count")) {
                // Without its export the digest's count is read as the completeness check reads it.
                Files.delete(files(edited.resolve("exports")).get(0));
            }
            assertThat(bothVerify(edited, key)).as(change.getKey()).startsWith("1\n")
                    .contains("FAILED MALFORMED_STATEMENT in digests/");
        }

        // The export is there: the count the digest signed is the export's line count, written with a sign.
        Path signedCount = copy(folder, "digest-count-with-sign-beside-its-export");
        Path lastExport = signedCount.resolve(SignedStatement.parse(Files.readAllBytes(digests(signedCount).get(1)))
                .orElseThrow().field("records"));
        resignLastDigest(signedCount, Map.of("count", "+" + Files.readAllLines(lastExport).size()));
        assertThat(bothVerify(signedCount, key)).startsWith("1\n")
                .contains("FAILED MALFORMED_STATEMENT in digests/00000002.json: ").doesNotContain("EXPORT_MISMATCH");

        Path utf16 = copy(folder, "digest-utf16");
        Path digest = utf16.resolve("digests/00000002.json");
        Files.write(digest, Files.readString(digest).getBytes(StandardCharsets.UTF_16LE));
        assertThat(bothVerify(utf16, key)).startsWith("1\n").contains("FAILED MALFORMED_STATEMENT in digests/00000002.json");

        Path surrogate = copy(folder, "digest-surrogate");
        digest = surrogate.resolve("digests/00000002.json");
        Files.writeString(digest, Files.readString(digest).replace("\"format\" :", "\"note\" : \"\\ud800\",\n  \"format\" :"));
        assertThat(bothVerify(surrogate, key)).startsWith("1\n").contains("FAILED MALFORMED_STATEMENT in digests/00000002.json");

        Path nested = copy(folder, "digest-nested");
        Files.writeString(nested.resolve("digests/00000002.json"), "[".repeat(5000) + "]".repeat(5000));
        assertThat(bothVerify(nested, key)).startsWith("1\n")
                .contains("FAILED MALFORMED_STATEMENT in digests/00000002.json");
    }

    @Test
    void anAnchorWhoseHourIsNotAnHourIsMalformedForBothVerifiersEvenWhenItsFileIsNamedByIt() throws Exception {
        Path last = files(folder.resolve("anchors")).get(files(folder.resolve("anchors")).size() - 1);
        String hour = SignedStatement.parse(Files.readAllBytes(last)).orElseThrow().field("hour");
        String day = hour.substring(0, 10);
        // Each sorts after the other anchors, so the changed anchor is the last one and still chains to the one before.
        Map<String, String> hours = new LinkedHashMap<>();
        hours.put("past-the-last-hour", day + "T24Z");
        hours.put("with-minutes", day + "T" + hour.substring(11, 13) + ":00Z");
        hours.put("lower-case", day + "t" + hour.substring(11, 13) + "z");
        hours.put("a-month-that-does-not-exist", day.substring(0, 5) + "13-01T00Z");
        hours.put("in-a-folder", "late/" + hour);
        for (Map.Entry<String, String> change : hours.entrySet()) {
            Path edited = copy(folder, "anchor-hour-" + change.getKey());
            Path anchor = edited.resolve("anchors").resolve(last.getFileName().toString());
            byte[] resigned = resigned(anchor, Map.of("hour", change.getValue()));
            Files.delete(anchor);
            Path renamed = edited.resolve("anchors/" + change.getValue() + ".json");
            Files.createDirectories(renamed.getParent());
            Files.write(renamed, resigned);
            assertThat(bothVerify(edited, key)).as(change.getKey()).startsWith("1\n")
                    .contains("FAILED MALFORMED_STATEMENT in anchors/" + change.getValue() + ".json: ");
        }
    }

    @Test
    void aDayATimeAndAnHourInTheYear0000AreMalformedForBothVerifiers() throws Exception {
        // LocalDate takes the year 0000; the format's calendar, like Python's datetime, has no year 0.
        Map<String, String> changes = new LinkedHashMap<>();
        changes.put("from", "0000" + field(lastDigest(folder), "from").substring(4));
        changes.put("readAt", "0000" + field(lastDigest(folder), "readAt").substring(4));
        for (Map.Entry<String, String> change : changes.entrySet()) {
            Path edited = copy(folder, "digest-" + change.getKey() + "-in-the-year-0000");
            resignLastDigest(edited, Map.of(change.getKey(), change.getValue()));
            assertThat(bothVerify(edited, key)).as(change.getKey()).startsWith("1\n")
                    .contains("FAILED MALFORMED_STATEMENT in digests/" + lastDigest(edited).getFileName() + ": ");
        }

        Path last = files(folder.resolve("anchors")).get(files(folder.resolve("anchors")).size() - 1);
        String hour = "0000" + field(last, "hour").substring(4);
        Path edited = copy(folder, "anchor-hour-in-the-year-0000");
        Path anchor = edited.resolve("anchors").resolve(last.getFileName().toString());
        byte[] resigned = resigned(anchor, Map.of("hour", hour));
        Files.delete(anchor);
        // Named by its hour, it sorts first: both verifiers read its hour before its place in the chain.
        Files.write(edited.resolve("anchors/" + hour + ".json"), resigned);
        assertThat(bothVerify(edited, key)).startsWith("1\n")
                .contains("FAILED MALFORMED_STATEMENT in anchors/" + hour + ".json: ");
    }

    @Test
    void anAnchorSignedOutsideItsHourIsMalformedForBothVerifiers() throws Exception {
        Path last = files(folder.resolve("anchors")).get(files(folder.resolve("anchors")).size() - 1);
        String name = "anchors/" + last.getFileName();
        Instant hour = Instant.parse(SignedStatement.parse(Files.readAllBytes(last)).orElseThrow().field("hour")
                .replace("Z", ":00:00Z"));
        Map<String, Instant> times = new LinkedHashMap<>();
        times.put("at-the-next-hour", hour.plus(Duration.ofHours(1)));
        times.put("a-day-later", hour.plus(Duration.ofDays(1)));
        times.put("before-the-hour", hour.minusMillis(1));
        for (Map.Entry<String, Instant> change : times.entrySet()) {
            Path edited = copy(folder, "anchored-" + change.getKey());
            Path anchor = edited.resolve(name);
            Files.write(anchor, resigned(anchor, Map.of("anchoredAt", change.getValue().toString())));
            assertThat(bothVerify(edited, key)).as(change.getKey()).startsWith("1\n")
                    .contains("FAILED MALFORMED_STATEMENT in " + name + ": " + name + " was signed at "
                            + change.getValue() + " (its anchoredAt), outside its hour");
        }

        Path lastMillisecond = copy(folder, "anchored-in-the-last-millisecond");
        Path anchor = lastMillisecond.resolve(name);
        Files.write(anchor, resigned(anchor, Map.of("anchoredAt",
                hour.plus(Duration.ofHours(1)).minusMillis(1).toString())));
        // The last digest, signed after the last anchor, names it by its bytes: it is signed again over the new ones.
        assertThat(field(lastDigest(lastMillisecond), "latestAnchor")).isEqualTo(name);
        resignLastDigest(lastMillisecond, Map.of("latestAnchorSha256",
                health.vigil.hash.Sha256.hex(Files.readAllBytes(anchor))));
        assertThat(bothVerify(lastMillisecond, key)).startsWith("0\n").contains("\nVERIFIED");
    }

    @Test
    void aDigestSignedBeforeItsExportBeganReadingIsMalformedForBothVerifiers() throws Exception {
        Path edited = copy(folder, "exported-before-read");
        Path digest = lastDigest(edited);
        String readAt = field(digest, "readAt");
        String before = Instant.parse(readAt).minusMillis(1).toString();
        resignLastDigest(edited, Map.of("exportedAt", before));
        assertThat(bothVerify(edited, key)).startsWith("1\n").contains("FAILED MALFORMED_STATEMENT in digests/"
                + digest.getFileName() + ": digests/" + digest.getFileName() + " was signed at " + before
                + " (its exportedAt), before its export began reading the records at " + readAt);

        Path atReadAt = copy(folder, "exported-as-read");
        resignLastDigest(atReadAt, Map.of("exportedAt", readAt));
        assertThat(bothVerify(atReadAt, key)).startsWith("0\n").contains("\nVERIFIED");
    }

    /**
     * Statements at the first and the last day of the format's years (0001-01-01 and 9999-12-31), which only the holder
     * of the signing key could write: each verifier answers alike, with no day before the first or after the last.
     */
    @Test
    void statementsAtTheFirstAndTheLastDayOfTheFormatGetTheSameVerdictFromBothVerifiers() throws Exception {
        Map<String, String> changes = new LinkedHashMap<>();
        changes.put("from", "0001-01-01");
        changes.put("readAt", "0001-01-01T00:00:00Z");
        changes.put("to", "9999-12-31");
        for (Map.Entry<String, String> change : changes.entrySet()) {
            Path edited = copy(folder, "digest-" + change.getKey() + "-at-an-end-of-the-years");
            resignLastDigest(edited, Map.of(change.getKey(), change.getValue()));
            assertThat(bothVerify(edited, key)).as(change.getKey()).startsWith("0\n").contains("\nVERIFIED");
        }

        // The last anchor, as of the last hour there is: its end is the first moment of the year 10000.
        Path last = files(folder.resolve("anchors")).get(files(folder.resolve("anchors")).size() - 1);
        Map<String, String> anchoredAt = new LinkedHashMap<>();
        anchoredAt.put("within", "9999-12-31T23:30:00Z");
        anchoredAt.put("before", "9999-12-31T22:59:59.999Z");
        for (Map.Entry<String, String> change : anchoredAt.entrySet()) {
            Path edited = copy(folder, "anchor-of-the-last-hour-signed-" + change.getKey());
            Path anchor = edited.resolve("anchors").resolve(last.getFileName().toString());
            byte[] resigned = resigned(anchor, Map.of("hour", "9999-12-31T23Z", "anchoredAt", change.getValue()));
            Files.delete(anchor);
            Files.write(edited.resolve("anchors/9999-12-31T23Z.json"), resigned);
            String verdict = bothVerify(edited, key);
            assertThat(verdict).as(change.getKey()).startsWith("1\n");
            if (change.getKey().equals("within")) {
                // It is not the anchor the last digest names as the latest signed before it.
                assertThat(verdict).contains("FAILED BROKEN_STATEMENT_CHAIN in digests/00000002.json: ");
            } else {
                assertThat(verdict).contains("FAILED MALFORMED_STATEMENT in anchors/9999-12-31T23Z.json: ");
            }
        }
    }

    /**
     * A log whose only day is 9999-12-31, exported at its noon and again before its end, with the noon export left
     * out; and a day of records on 0001-01-01 exported at its noon, its digest signed by the holder of the key (Vigil
     * exports no day before 1900): both verify for both verifiers.
     */
    @Test
    void logsOfTheFirstAndTheLastDayOfTheFormatVerifyForBothVerifiers() throws Exception {
        LocalDate lastDay = LocalDate.of(9999, 12, 31);
        Path lastHome = work.resolve("home-last-day");
        String noon;
        try (LocalAdapters local = LocalAdapters.at(lastHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            register(local, lastDay.atTime(9, 0).toInstant(ZoneOffset.UTC), "morning");
            noon = evidence(local, lastDay.atTime(12, 0).toInstant(ZoneOffset.UTC)).export(lastDay, lastDay, "auditor")
                    .records();
            register(local, lastDay.atTime(15, 0).toInstant(ZoneOffset.UTC), "afternoon");
            evidence(local, lastDay.atTime(23, 10).toInstant(ZoneOffset.UTC)).anchor();
            evidence(local, lastDay.atTime(23, 20).toInstant(ZoneOffset.UTC)).export(lastDay, lastDay, "auditor");
        }
        Path lastEvidence = exportsOf(lastHome, "last-day");
        Files.delete(lastEvidence.resolve(noon));
        assertThat(bothVerify(lastEvidence, trustedKeyOf(lastHome, "last-day"))).startsWith("0\n")
                .contains("\nVERIFIED").contains("note: digests/00000001.json names " + noon);

        LocalDate firstDay = LocalDate.of(1, 1, 1);
        Path firstHome = work.resolve("home-first-day");
        Path firstEvidence = work.resolve("first-day");
        try (LocalAdapters local = LocalAdapters.at(firstHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            register(local, firstDay.atTime(9, 0).toInstant(ZoneOffset.UTC), "morning");
            writeSignedExport(firstEvidence, local, firstDay, firstDay.atTime(12, 0).toInstant(ZoneOffset.UTC));
        }
        assertThat(bothVerify(firstEvidence, trustedKeyOf(firstHome, "first-day"))).startsWith("0\n")
                .contains("\nVERIFIED");
    }

    /**
     * Digests, signed again by the holder of the key, that name their export with what is no file under exports/: one
     * that leaves the folder (beside which a copy of the export lies, so a verifier that followed it would verify
     * it), a NUL character no file name holds, an absolute path, a segment {@code ..} inside exports/, and none. Both
     * verifiers refuse each alike.
     */
    @Test
    void aDigestNamingItsExportOutsideExportsIsMalformedForBothVerifiers() throws Exception {
        Path export = folder.resolve(field(lastDigest(folder), "records"));
        Files.copy(export, work.resolve("outside.jsonl"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<String> names = List.of("../outside.jsonl", "exports/\u0000.jsonl", export.toAbsolutePath().toString(),
                "exports/../exports/" + export.getFileName(), "");
        for (int i = 0; i < names.size(); i++) {
            Path edited = copy(folder, "export-name-" + i);
            resignLastDigest(edited, Map.of("records", names.get(i)));
            assertThat(bothVerify(edited, key)).as(names.get(i)).startsWith("1\n")
                    .contains("FAILED MALFORMED_STATEMENT in digests/", " names no file under exports/ in 'records'");
        }
    }

    /**
     * A fault of the reference verifier's own (here made by replacing its check of the folder with one that fails) ends
     * in a verdict line naming the error and exit code 3, not a traceback, and repeats nothing the error says.
     */
    @Test
    void anErrorOfTheReferenceVerifierItselfEndsInAVerdictLineNotATraceback() {
        String script = "import importlib.util, sys\n"
                + "spec = importlib.util.spec_from_file_location('verifier', sys.argv[1])\n"
                + "verifier = importlib.util.module_from_spec(spec)\n"
                + "spec.loader.exec_module(verifier)\n"
                + "def fail(self):\n"
                + "    raise ValueError('text from the folder')\n"
                + "verifier.Verifier.verify = fail\n"
                + "sys.exit(verifier.main(sys.argv[2:]))\n";
        String printed = execute(List.of("python3", "-c", script, SCRIPT.toString(), folder.toString(), "--public-key",
                key.toString()));
        assertThat(printed).startsWith("3\n")
                .contains("\nNOT VERIFIED: the verifier stopped at an error of its own, ValueError in verify_folder"
                        + " (line ")
                .doesNotContain("Traceback").doesNotContain("text from the folder").doesNotContain("\nVERIFIED");
    }

    /**
     * Writes into {@code evidence} the export of the records of {@code day} and its digest (number 1) read at
     * {@code readAt}, signed with the key of {@code local}, as the holder of that key could for a day Vigil does not
     * export.
     */
    private static void writeSignedExport(Path evidence, LocalAdapters local, LocalDate day, Instant readAt)
            throws IOException {
        List<AuditRecord> records = local.auditStore().read(day.toString());
        StringBuilder lines = new StringBuilder();
        records.forEach(r -> lines.append(Json.write(r)).append('\n'));
        byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
        String sha256 = health.vigil.hash.Sha256.hex(bytes);
        String name = "exports/" + day + "_" + day + "-" + sha256.substring(0, 16) + ".jsonl";
        Files.createDirectories(evidence.resolve("exports"));
        Files.createDirectories(evidence.resolve("digests"));
        Files.write(evidence.resolve(name), bytes);
        AuditRecord first = records.get(0);
        AuditRecord last = records.get(records.size() - 1);
        Map<String, String> fields = new TreeMap<>();
        fields.put("format", "vigil-audit-digest/1");
        fields.put("number", "1");
        fields.put("from", day.toString());
        fields.put("to", day.toString());
        fields.put("records", name);
        fields.put("sha256", sha256);
        fields.put("count", Integer.toString(records.size()));
        fields.put("firstRecord", first.partition() + "#" + first.sequence());
        fields.put("firstRecordHash", first.hash());
        fields.put("lastRecord", last.partition() + "#" + last.sequence());
        fields.put("lastRecordHash", last.hash());
        fields.put("chainHeadRecord", last.partition() + "#" + last.sequence());
        fields.put("chainHeadHash", last.hash());
        fields.put("previousDigest", "");
        fields.put("previousDigestSha256", "");
        fields.put("readAt", readAt.toString());
        fields.put("exportedAt", readAt.toString());
        fields.put("exportedBy", "auditor");
        fields.put("algorithm", "ES256");
        Files.write(evidence.resolve("digests/00000001.json"),
                SignedStatement.sign(fields, local.auditSigner()).toJson(List.of()));
    }

    @Test
    void aDigestWhosePeriodEndsBeforeItStartsIsMalformedForBothVerifiers() throws Exception {
        Path edited = copy(folder, "period-reversed");
        Path digest = lastDigest(edited);
        String to = field(digest, "to");
        String after = java.time.LocalDate.parse(to).plusDays(1).toString();
        resignLastDigest(edited, Map.of("from", after));
        assertThat(bothVerify(edited, key)).startsWith("1\n").contains("FAILED MALFORMED_STATEMENT in digests/"
                + digest.getFileName() + ": digests/" + digest.getFileName() + " covers the days from " + after
                + " to " + to + ", which ends before it starts");
    }

    /**
     * Signs every digest of {@code evidence} again with the key of {@code logHome} without {@code dayLastRecords}, each
     * chained to the one before as signed again: the digests as Vigil wrote them before they named each day's last
     * record, which give the days between their first and last records' only as a total.
     */
    private static void signedAsWrittenBeforeDigestsNamedEachDay(Path evidence, Path logHome) throws IOException {
        Path previous = null;
        for (Path digest : digests(evidence)) {
            Map<String, String> fields = new TreeMap<>(SignedStatement.parse(Files.readAllBytes(digest)).orElseThrow()
                    .fields());
            fields.remove("dayLastRecords");
            if (previous != null) {
                fields.put("previousDigestSha256", health.vigil.hash.Sha256.hex(Files.readAllBytes(previous)));
            }
            Files.write(digest, SignedStatement.sign(fields, LocalAuditSigner.open(logHome)).toJson(List.of()));
            previous = digest;
        }
    }

    @Test
    void aDigestWhoseDaysLastRecordsDoNotAgreeWithItselfIsMalformedForBothVerifiers() throws Exception {
        String days = field(lastDigest(folder), "dayLastRecords");
        List<String> entries = List.of(days.split(","));
        assertThat(entries).hasSize(2);
        String first = entries.get(0);
        int mark = first.lastIndexOf('#');
        int colon = first.lastIndexOf(':');
        long sequence = Long.parseLong(first.substring(mark + 1, colon));
        String day = first.substring(0, mark);
        Map<String, String> changes = new LinkedHashMap<>();
        changes.put("one-more", first.substring(0, mark + 1) + (sequence + 1) + first.substring(colon) + ","
                + entries.get(1));
        changes.put("sequence-with-sign", first.substring(0, mark + 1) + "+" + first.substring(mark + 1) + ","
                + entries.get(1));
        changes.put("days-out-of-order", entries.get(1) + "," + first);
        changes.put("hash-in-upper-case", first.substring(0, colon + 1)
                + first.substring(colon + 1).toUpperCase(java.util.Locale.ROOT) + "," + entries.get(1));
        changes.put("first-day-left-out", entries.get(1));
        changes.put("day-outside-the-period", LocalDate.parse(day).minusDays(1) + first.substring(mark) + ","
                + entries.get(1));
        for (Map.Entry<String, String> change : changes.entrySet()) {
            Path edited = copy(folder, "day-last-records-" + change.getKey());
            resignLastDigest(edited, Map.of("dayLastRecords", change.getValue()));
            assertThat(bothVerify(edited, key)).as(change.getKey()).startsWith("1\n")
                    .contains("FAILED MALFORMED_STATEMENT in digests/00000002.json: ");
        }
    }

    private static Path lastDigest(Path evidence) throws IOException {
        List<Path> all = digests(evidence);
        return all.get(all.size() - 1);
    }

    private static String field(Path statement, String name) throws IOException {
        return SignedStatement.parse(Files.readAllBytes(statement)).orElseThrow().field(name);
    }

    /** Changes fields of the folder's last digest and signs it again with Vigil's key, as only Vigil could. */
    private static void resignLastDigest(Path evidence, Map<String, String> change) throws IOException {
        Path digest = lastDigest(evidence);
        Files.write(digest, resigned(digest, change));
    }

    /** The signed statement in {@code file} with fields changed, signed again with Vigil's key. */
    private static byte[] resigned(Path file, Map<String, String> change) throws IOException {
        SignedStatement statement = SignedStatement.parse(Files.readAllBytes(file)).orElseThrow();
        Map<String, String> fields = new TreeMap<>(statement.fields());
        fields.putAll(change);
        return SignedStatement.sign(fields, LocalAuditSigner.open(home)).toJson(List.of());
    }

    @Test
    void aDigestOverDaysTheFolderHoldsInPartIsComparedWhereItsCountSaysHowManyRecordsThoseDaysHave() throws Exception {
        LocalDate first = LocalDate.now(ZoneOffset.UTC).minusDays(4);
        LocalDate second = first.plusDays(1);
        LocalDate third = first.plusDays(2);

        // Only the noon export of the second day is here: the three days' digest gives no count of that day alone, and
        // no digest here names the first day's last record, to which the second day's export chains: the export left
        // out, which read the first day whole, is named as the one to include.
        Path secondAtNoon = spanningExportLeftOut("second-at-noon", second, first, third);
        assertThat(bothVerify(secondAtNoon, secondAtNoon.resolve("trusted.pem"))).startsWith("1\n")
                .contains("note: digests/00000002.json names ")
                .contains("so its digest does not say how many records it holds of [" + second + "]")
                .contains("FAILED MISSING_LINKED_EXPORT in exports/" + second + "_" + second + "-")
                .contains("chains to a record of " + first + " that no digest here names as that day's last");

        // The noon export of the first two days is here: the digest's count less its last day's records is more.
        Path twoDaysAtNoon = spanningExportLeftOut("two-days-at-noon", first, first, third);
        assertThat(bothVerify(twoDaysAtNoon, twoDaysAtNoon.resolve("trusted.pem"))).startsWith("1\n")
                .contains("FAILED MISSING_EXPORT in digests/00000002.json: ")
                .contains("records of the days from " + first + " to " + third);
    }

    @Test
    void recordsOfADigestsLastDayWrittenAfterItReadThemDoNotMakeUpForAnEarlierDayForBothVerifiers()
            throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(7);
        LocalDate next = day.plusDays(1);
        Path logHome = work.resolve("home-last-day-after-read");
        String spanning;
        try (LocalAdapters local = LocalAdapters.at(logHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            register(local, day.atTime(9, 0).toInstant(ZoneOffset.UTC), "morning");
            evidence(local, day.atTime(12, 0).toInstant(ZoneOffset.UTC)).export(day, day, "auditor");
            register(local, day.atTime(15, 0).toInstant(ZoneOffset.UTC), "afternoon");
            register(local, next.atTime(9, 0).toInstant(ZoneOffset.UTC), "next-morning");
            spanning = evidence(local, next.atTime(12, 0).toInstant(ZoneOffset.UTC)).export(day, next, "auditor")
                    .records();
            // More records of the next day after the export of both days read it than the noon export lacks.
            register(local, next.atTime(15, 0).toInstant(ZoneOffset.UTC), "next-afternoon");
            register(local, next.atTime(18, 0).toInstant(ZoneOffset.UTC), "next-evening");
            evidence(local, next.plusDays(1).atTime(0, 15).toInstant(ZoneOffset.UTC)).export(next, next, "auditor");
        }
        Path evidence = exportsOf(logHome, "last-day-after-read");
        Files.delete(evidence.resolve(spanning));
        // As written before digests named each day's last record: the days before the last are given as a total.
        signedAsWrittenBeforeDigestsNamedEachDay(evidence, logHome);
        Path trusted = trustedKeyOf(logHome, "last-day-after-read");

        // The first day's afternoon is in no export here, and no digest of that day alone says how many it had.
        assertThat(bothVerify(evidence, trusted)).startsWith("1\n")
                .contains("FAILED MISSING_EXPORT in digests/00000002.json: ")
                .contains("records of the days from " + day + " to " + next + " other than " + next);
    }

    @Test
    void recordsAddedToOneOfADigestsDaysAfterItReadThemDoNotMakeUpForAnotherDayForBothVerifiers() throws Exception {
        LocalDate first = LocalDate.now(ZoneOffset.UTC).minusDays(9);
        LocalDate second = first.plusDays(1);
        LocalDate third = second.plusDays(1);
        Path logHome = work.resolve("home-added-to-another-day");
        long noon;
        String spanning;
        try (LocalAdapters local = LocalAdapters.at(logHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            register(local, first.atTime(9, 0).toInstant(ZoneOffset.UTC), "morning");
            noon = evidence(local, first.atTime(12, 0).toInstant(ZoneOffset.UTC)).export(first, first, "auditor")
                    .count();
            register(local, first.atTime(15, 0).toInstant(ZoneOffset.UTC), "afternoon");
            register(local, second.atTime(9, 0).toInstant(ZoneOffset.UTC), "second");
            new AuditLog(local.auditStore(), Clock.fixed(third.atTime(0, 1).toInstant(ZoneOffset.UTC), ZoneOffset.UTC))
                    .record("third", "model.register", "/models/readmission/versions/1", "registered", Map.of());
            // Read 3 minutes after midnight, the export of the three days closes the first day, not the second.
            spanning = evidence(local, third.atTime(0, 3).toInstant(ZoneOffset.UTC)).export(first, third, "auditor")
                    .records();
            // As many records as the noon export lacks, added to the second day in its last minutes after the export
            // of the three days read it, then exported with that day.
            long leftOut = local.auditStore().read(first.toString()).size() - noon;
            Instant added = second.atTime(23, 56).toInstant(ZoneOffset.UTC);
            for (int i = 0; i < leftOut; i++) {
                new AuditLog(local.auditStore(), Clock.fixed(added.plusSeconds(10L * i), ZoneOffset.UTC))
                        .record("forger-" + i, "model.approve", "/models/readmission/versions/1", "approved", Map.of());
            }
            evidence(local, third.atTime(1, 0).toInstant(ZoneOffset.UTC)).export(second, second, "auditor");
        }
        Path evidence = exportsOf(logHome, "added-to-another-day");
        Files.delete(evidence.resolve(spanning));
        Path trusted = trustedKeyOf(logHome, "added-to-another-day");

        // The exports here hold as many records of the first two days as the digest of the three attests in all, but
        // of the first day they lack the afternoon: the digest names each day's count.
        assertThat(bothVerify(evidence, trusted)).startsWith("1\n")
                .contains("FAILED MISSING_EXPORT in digests/00000002.json: ")
                .contains("attests records " + first + "#" + (noon + 1) + " to " + first + "#");
    }

    @Test
    void aRecordAddedToAMiddleDayADigestReadWholeContradictsTheLastRecordItNamesForBothVerifiers() throws Exception {
        LocalDate first = LocalDate.now(ZoneOffset.UTC).minusDays(13);
        LocalDate second = first.plusDays(1);
        LocalDate third = second.plusDays(1);
        Path logHome = work.resolve("home-added-to-a-middle-day");
        long added;
        try (LocalAdapters local = LocalAdapters.at(logHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            threeDaysExportedAtTheThirdsNoon(local, first);
            // Added to the middle day after the export of the three days read it whole, chained to its last record
            // and dated as a write racing midnight would be.
            added = local.auditStore().read(second.toString()).size() + 1;
            Instant racing = third.atStartOfDay(ZoneOffset.UTC).toInstant().minusSeconds(90);
            new AuditLog(local.auditStore(), Clock.fixed(racing, ZoneOffset.UTC)).record("approver:forged",
                    "model.approve", "/models/readmission/versions/1", "approved", Map.of());
            // The platform refuses to export the day (EvidenceTamperingTest); with the published key gone from the
            // container it cannot compare, and signs it, as exports were signed before it compared: what the
            // verifiers find in such a folder.
            deletePublishedKeys(logHome);
            evidence(local, third.atTime(13, 0).toInstant(ZoneOffset.UTC)).export(second, second, "auditor");
        }
        Path evidence = exportsOf(logHome, "added-to-a-middle-day");
        Path trusted = trustedKeyOf(logHome, "added-to-a-middle-day");

        assertThat(bothVerify(evidence, trusted)).startsWith("1\n")
                .contains("FAILED CONTRADICTS_SIGNED_EVIDENCE in exports/" + second + "_" + second + "-")
                .contains(" line " + added + ": ")
                .contains("(" + second + "#" + added + ") was appended to " + second + " after the day was exported:"
                        + " digests/00000001.json");
    }

    @Test
    void anExportChainedToAMiddleDayOfADigestLeftOutIsShownByTheLastRecordItNamesForBothVerifiers() throws Exception {
        LocalDate first = LocalDate.now(ZoneOffset.UTC).minusDays(17);
        LocalDate third = first.plusDays(2);
        Path logHome = work.resolve("home-chained-to-a-middle-day");
        String spanning;
        try (LocalAdapters local = LocalAdapters.at(logHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            spanning = threeDaysExportedAtTheThirdsNoon(local, first);
            evidence(local, third.plusDays(1).atTime(0, 15).toInstant(ZoneOffset.UTC)).export(third, third, "auditor");
        }
        Path evidence = exportsOf(logHome, "chained-to-a-middle-day");
        Files.delete(evidence.resolve(spanning));
        Path trusted = trustedKeyOf(logHome, "chained-to-a-middle-day");

        // The third day's first record chains to the second day's last record, which the digest of the three days
        // names with its hash: the link is shown without that digest's export.
        assertThat(bothVerify(evidence, trusted)).startsWith("0\n").contains("\nVERIFIED");
    }

    /**
     * A record on each of three days from {@code first} and their export at the third day's noon, which reads the
     * first two whole; returns the name of that export's records.
     */
    private static String threeDaysExportedAtTheThirdsNoon(LocalAdapters local, LocalDate first) {
        LocalDate third = first.plusDays(2);
        for (LocalDate day : List.of(first, first.plusDays(1), third)) {
            register(local, day.atTime(9, 0).toInstant(ZoneOffset.UTC), "day");
        }
        return evidence(local, third.atTime(12, 0).toInstant(ZoneOffset.UTC)).export(first, third, "auditor")
                .records();
    }

    /** Deletes the public keys the platform at {@code logHome} published in its audit evidence container. */
    private static void deletePublishedKeys(Path logHome) throws IOException {
        for (Path key : files(LocalAdapters.blobFolder(logHome.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS)
                .resolve("keys"))) {
            Files.delete(key);
        }
    }

    /** A copy, named {@code name}, of the audit evidence container of the platform at {@code logHome}. */
    private static Path exportsOf(Path logHome, String name) throws IOException {
        return copy(LocalAdapters.blobFolder(logHome.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS), name);
    }

    /** The public signing key of the platform at {@code logHome}, written to its own file to be trusted. */
    private static Path trustedKeyOf(Path logHome, String name) throws IOException {
        return Files.writeString(work.resolve("audit-signing-" + name + ".pem"),
                SigningKeys.pem(LocalAuditSigner.open(logHome).publicKey()));
    }

    /**
     * A log of three days from {@code first} to {@code third}; an export of {@code from} to the second day at its noon
     * (digest 1), more records, the export of all three days (digest 2). Returns the container without the latter,
     * its digests as written before they named each day's last record, with the trusted key in {@code trusted.pem}
     * (outside {@code keys/}, which a verifier does not read as trusted).
     */
    private static Path spanningExportLeftOut(String name, LocalDate from, LocalDate first, LocalDate third)
            throws IOException {
        Path logHome = work.resolve("home-" + name);
        LocalDate second = first.plusDays(1);
        String spanning;
        try (LocalAdapters local = LocalAdapters.at(logHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            register(local, first.atTime(9, 0).toInstant(ZoneOffset.UTC), "first");
            register(local, second.atTime(9, 0).toInstant(ZoneOffset.UTC), "morning");
            evidence(local, second.atTime(12, 0).toInstant(ZoneOffset.UTC)).export(from, second, "auditor");
            register(local, second.atTime(15, 0).toInstant(ZoneOffset.UTC), "afternoon");
            register(local, third.atTime(9, 0).toInstant(ZoneOffset.UTC), "third");
            spanning = evidence(local, third.plusDays(1).atTime(0, 15).toInstant(ZoneOffset.UTC))
                    .export(first, third, "auditor").records();
        }
        Path evidence = copy(LocalAdapters.blobFolder(logHome.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS), name);
        Files.delete(evidence.resolve(spanning));
        signedAsWrittenBeforeDigestsNamedEachDay(evidence, logHome);
        Files.writeString(evidence.resolve("trusted.pem"), SigningKeys.pem(LocalAuditSigner.open(logHome).publicKey()));
        return evidence;
    }

    @Test
    void aContainerWithoutTheExportOfBothDaysVerifiesTheFirstDaySaysSoAndLeavesTheSecondDayToTheAuditor()
            throws Exception {
        Path container = copy(LocalAdapters.blobFolder(home.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS), "partial");
        List<Path> exports = files(container.resolve("exports"));
        assertThat(exports).hasSize(2);
        // The export of both days is the larger. Without it the folder holds the first day only, whose records
        // digest 2 attests are all in the first day's export; its second day is not among the days held here.
        Path both = Files.size(exports.get(0)) > Files.size(exports.get(1)) ? exports.get(0) : exports.get(1);
        Files.delete(both);

        assertThat(bothVerify(container, key)).startsWith("0\n").contains("\nVERIFIED")
                .contains("note: digests/00000002.json names exports/" + both.getFileName() + ", which is not among"
                        + " these files; every record it holds of the days these exports hold is among them");
    }

    @Test
    void aRecordAppendedToADayAfterItsDailyExportContradictsItsDigestForBothVerifiers() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(5);
        LocalDate next = day.plusDays(1);
        Path logHome = work.resolve("home-appended");
        long appended;
        try (LocalAdapters local = LocalAdapters.at(logHome, VigilConfig.PredictionLogDurability.DEFAULT)) {
            register(local, day.atTime(9, 0).toInstant(ZoneOffset.UTC), "morning");
            evidence(local, next.atTime(0, 15).toInstant(ZoneOffset.UTC)).exportPreviousDay();
            register(local, next.atTime(9, 0).toInstant(ZoneOffset.UTC), "next-day");
            // Someone who can write the store adds an approval to the exported day, chained to its last record and
            // dated as a write racing midnight would be.
            AuditStore store = local.auditStore();
            AuditRecord last = store.last(day.toString()).orElseThrow();
            appended = last.sequence() + 1;
            AuditRecord unsigned = new AuditRecord(java.util.UUID.randomUUID().toString(), day.toString(), appended,
                    next.atStartOfDay(ZoneOffset.UTC).toInstant().minusSeconds(90), "approver:forged", "model.approve",
                    "/models/readmission/versions/1", "approved", Map.of(), last.hash(), null);
            AuditRecord forged = new AuditRecord(unsigned.id(), unsigned.partition(), unsigned.sequence(),
                    unsigned.time(), unsigned.actor(), unsigned.action(), unsigned.subject(), unsigned.outcome(),
                    unsigned.details(), unsigned.previousHash(), AuditChain.hashOf(unsigned));
            assertThat(store.tryAppend(forged)).isTrue();
            // The platform compares an export with the evidence already signed, and refuses this one.
            assertThatThrownBy(() -> evidence(local, next.plusDays(1).atTime(0, 15).toInstant(ZoneOffset.UTC))
                    .export(day, next, "auditor")).isInstanceOf(VigilException.class)
                    .hasMessageContaining("the audit records of " + day + " (in the period) contradict"
                            + " audit-exports/digests/00000001.json");
            // With the published key gone from the container it cannot compare, and signs the export, as exports
            // were signed before it compared: what the verifiers find in such a folder.
            deletePublishedKeys(logHome);
            evidence(local, next.plusDays(1).atTime(0, 15).toInstant(ZoneOffset.UTC)).export(day, next, "auditor");
        }
        Path evidence = copy(LocalAdapters.blobFolder(logHome.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS),
                "appended-to-an-exported-day");
        Path trusted = Files.writeString(work.resolve("audit-signing-appended.pem"),
                SigningKeys.pem(LocalAuditSigner.open(logHome).publicKey()));

        assertThat(bothVerify(evidence, trusted)).startsWith("1\n")
                .contains("FAILED CONTRADICTS_SIGNED_EVIDENCE in exports/" + day + "_" + next + "-")
                .contains(" line " + appended + ": ")
                .contains("(" + day + "#" + appended + ") was appended to " + day + " after the day was exported:"
                        + " digests/00000001.json");
    }

    /** The line with "previousHash" set to null and "hash" recomputed to match: only the link is wrong. */
    private static String withoutLink(String line) {
        AuditRecord r = Json.read("an exported record", line, AuditRecord.class);
        AuditRecord unlinked = new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), r.actor(), r.action(),
                r.subject(), r.outcome(), r.details(), null, null);
        String edited = line.replace("\"previousHash\":\"" + r.previousHash() + "\"", "\"previousHash\":null")
                .replace("\"hash\":\"" + r.hash() + "\"", "\"hash\":\"" + AuditChain.hashOf(unlinked) + "\"");
        assertThat(edited).contains("\"previousHash\":null").doesNotContain(r.hash());
        return edited;
    }

    private static AuditEvidence evidence(LocalAdapters local, Instant at) {
        Clock clock = Clock.fixed(at, ZoneOffset.UTC);
        return new AuditEvidence(local.auditStore(), new AuditLog(local.auditStore(), clock), local.artifactStore(),
                local.auditSigner(), clock);
    }

    @Test
    void aDayWhoseFirstRecordIsNotRecord1IsASequenceGapBothVerifiersExplainAlike() throws Exception {
        // Line 1 is the day's record 1; numbered 0 instead (its hash recomputed to match), it is numbered wrongly.
        Path zero = copy(folder, "sequence-zero");
        editExport(zero, lines -> lines.set(0, renumbered(lines.get(0), 0)));
        assertThat(pythonVerifies(zero, key)).contains("FAILED SEQUENCE_GAP in exports/", " line 1: ",
                "has sequence 0: the records of a day are numbered from 1");
        assertThat(bothVerify(zero, key)).contains("has sequence 0: the records of a day are numbered from 1");

        // Without lines 1 and 2 the day begins at record 3.
        Path cut = copy(folder, "first-two-removed");
        editExport(cut, lines -> lines.subList(0, 2).clear());
        assertThat(pythonVerifies(cut, key)).contains("FAILED SEQUENCE_GAP in exports/", " line 1: ",
                "has sequence 3: records 1 to 2 of that day are missing");
        assertThat(bothVerify(cut, key)).contains("has sequence 3: records 1 to 2 of that day are missing");
    }

    /** The line with "sequence" set to {@code sequence} and "hash" recomputed to match: only the number is wrong. */
    private static String renumbered(String line, long sequence) {
        AuditRecord r = Json.read("an exported record", line, AuditRecord.class);
        AuditRecord edited = new AuditRecord(r.id(), r.partition(), sequence, r.time(), r.actor(), r.action(),
                r.subject(), r.outcome(), r.details(), r.previousHash(), null);
        String text = line.replace("\"sequence\":" + r.sequence() + ",", "\"sequence\":" + sequence + ",");
        assertThat(text).contains("\"sequence\":" + sequence + ",");
        return rehashed(text, r, edited);
    }

    private static void assertFails(Path evidence, String... expected) {
        assertThat(pythonVerifies(evidence, key)).startsWith("1\n").contains(expected).doesNotContain("\nVERIFIED");
        assertThat(bothVerify(evidence, key)).startsWith("1\n").contains(expected[0]);
    }

    /**
     * Runs both verifiers with the trusted key and requires the same outcome of them: exit code, notes, and the
     * verdict, word for word (for a failure its kind, file, line and message). Returns what {@code vigil audit verify}
     * printed, after its exit code and a newline.
     */
    private static String bothVerify(Path evidence, Path trusted) {
        return bothVerify(evidence, trusted, true);
    }

    /**
     * As {@link #bothVerify(Path, Path)}, for evidence whose failure the two verifiers explain in words of their own,
     * for {@code reason}: the same exit code, notes and verdict, for a failure its kind, file and line.
     */
    private static String bothVerifyWordedApart(Path evidence, Path trusted, String reason) {
        assertThat(reason).isNotBlank();
        return bothVerify(evidence, trusted, false);
    }

    private static String bothVerify(Path evidence, Path trusted, boolean sameWords) {
        String java = AuditCommandTest.run("audit", "verify", evidence.toString(), "--public-key", trusted.toString());
        assertThat(outcome(pythonVerifies(evidence, trusted), sameWords))
                .as("the reference verifier's outcome on " + evidence).isEqualTo(outcome(java, sameWords));
        return java;
    }

    private static List<String> outcome(String printed, boolean sameWords) {
        List<String> lines = printed.lines().toList();
        List<String> outcome = new ArrayList<>(List.of(lines.get(0)));
        for (String line : lines) {
            if (line.startsWith("note: ") || line.equals("VERIFIED") || line.startsWith("NOTHING VERIFIED")) {
                outcome.add(line);
            } else if (line.startsWith("FAILED ")) {
                outcome.add(sameWords ? line : line.substring(0, line.indexOf(": ")));
            }
        }
        return outcome;
    }

    /** Runs the reference verifier with the trusted key; its exit code, a newline and what it printed. */
    private static String pythonVerifies(Path evidence, Path trusted) {
        return execute(List.of("python3", SCRIPT.toString(), evidence.toString(), "--public-key", trusted.toString()));
    }

    private static void requireTool(String... command) {
        try {
            assertThat(execute(List.of(command))).as("'" + String.join(" ", command) + "' must run: the reference"
                    + " audit verifier needs python3 and openssl on PATH").startsWith("0\n");
        } catch (IllegalStateException e) {
            throw new AssertionError("'" + command[0] + "' is not installed: the reference audit verifier needs"
                    + " python3 and openssl on PATH", e);
        }
    }

    private static String execute(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command.get(0) + " did not finish within 120 s");
            }
            return process.exitValue() + "\n" + out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void editExport(Path evidence, Consumer<List<String>> edit) throws IOException {
        Path export = files(evidence.resolve("exports")).get(0);
        List<String> lines = new ArrayList<>(Files.readAllLines(export, StandardCharsets.UTF_8));
        edit.accept(lines);
        Files.writeString(export, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    private static List<Path> digests(Path evidence) throws IOException {
        return files(evidence.resolve("digests"));
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static Path copy(Path from, String name) throws IOException {
        Path to = work.resolve(name);
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
        return to;
    }
}
