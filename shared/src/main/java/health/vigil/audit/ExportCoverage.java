package health.vigil.audit;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The records the exports of some evidence hold, day by day, and what a signed digest whose export is not among
 * them attests beyond them. The evidence is taken to be meant to hold the days its exports cover: a digest
 * that attests records of those days which none of its exports holds (a later export of the same day, a longer
 * period) shows records left out; a digest whose period lies outside those days names an export of another
 * period, as every folder {@code vigil audit export} writes has (it holds every digest up to its own).
 */
final class ExportCoverage {
    /** A period an export holds, and the UTC day it was read on: days before that one were whole when read. */
    private record Period(LocalDate from, LocalDate to, LocalDate readOn) {
        boolean holds(LocalDate day) {
            return !day.isBefore(from) && !day.isAfter(to);
        }
    }

    /** A record a digest names: its day and sequence. */
    record Ref(LocalDate day, long sequence) {}

    /** What a digest whose export is absent means for the evidence: records left out, or a note. */
    record Finding(boolean missing, String text) {}

    private final List<Period> periods = new ArrayList<>();
    /** The last sequence of each day any export holds. */
    private final Map<LocalDate, Long> held = new HashMap<>();

    /** Adds an export of {@code from} to {@code to}, read at {@code readAt}, holding each day up to its last sequence. */
    void add(LocalDate from, LocalDate to, Instant readAt, Map<String, Long> lastSequence) {
        periods.add(new Period(from, to, LocalDate.ofInstant(readAt, ZoneOffset.UTC)));
        lastSequence.forEach((day, last) -> held.merge(LocalDate.parse(day), last, Math::max));
    }

    /**
     * Judges a digest whose export {@code file} is absent: {@code count} records of {@code from} to {@code to},
     * from {@code first} to {@code last} (null when it holds none), with the last record of each day when it names
     * them ({@code dayLasts}; null when it gives only the total of the days between its first and last records').
     */
    Finding judge(String digest, String file, LocalDate from, LocalDate to, long count, Ref first, Ref last,
            List<Ref> dayLasts) {
        String absent = digest + " names " + file + ", which is not among these files";
        String include = ": include " + file + ", the export it names, and verify again";
        if (!overlaps(from, to)) {
            return new Finding(false, absent + "; its period " + from + " to " + to + " is outside the days these"
                    + " exports hold, so only its signature and links were checked");
        }
        if (count == 0 || first == null || last == null) {
            return new Finding(false, absent + "; it holds no record");
        }
        // A digest that names each day's last record holds each day to its own count; one that does not, its first
        // and last records' days to theirs and the days between them to their total.
        for (Ref named : dayLasts != null ? dayLasts : List.of(first, last)) {
            long heldThere = held.getOrDefault(named.day(), 0L);
            if (holds(named.day()) && heldThere < named.sequence()) {
                return new Finding(true, digest + " attests records " + ref(named.day(), heldThere + 1) + " to "
                        + ref(named.day(), named.sequence()) + ", which no export among these files holds (they hold "
                        + named.day() + (heldThere == 0 ? " without records" : " up to #" + heldThere) + ")"
                        + include);
            }
        }
        String whole = absent + "; every record it holds of the days these exports hold is among them";
        if (dayLasts != null) {
            return new Finding(false, whole);
        }
        // Its records are on the days from its first record's to its last record's; the digest gives the count of
        // the last one's day (its sequence, compared above) and the other days' only as a whole. Records of the last
        // day after that sequence were written after it read the day: they stand for none of the other days'.
        LocalDate firstDay = first.day();
        LocalDate lastDay = last.day();
        if (holdsAllBut(firstDay, lastDay, lastDay)) {
            long attested = count - last.sequence();
            long heldThere = held.entrySet().stream().filter(e -> !e.getKey().isBefore(firstDay)
                    && e.getKey().isBefore(lastDay)).mapToLong(Map.Entry::getValue).sum();
            if (heldThere < attested) {
                return new Finding(true, digest + " attests " + attested + " records of the days from " + firstDay
                        + " to " + lastDay + " other than " + lastDay + ", its last record's day, but these exports"
                        + " hold " + heldThere + " of them: " + (attested - heldThere) + " records it attests are"
                        + " missing" + include);
            }
            return new Finding(false, whole);
        }
        List<LocalDate> partial = partialDays(firstDay, lastDay);
        if (partial.isEmpty()) {
            return new Finding(false, whole);
        }
        return new Finding(false, absent + "; it also holds days no export here holds, so its digest does not say"
                + " how many records it holds of " + partial + ", which these exports read before the day ended:"
                + " include it to check them");
    }

    private boolean overlaps(LocalDate from, LocalDate to) {
        return periods.stream().anyMatch(p -> !p.from().isAfter(to) && !p.to().isBefore(from));
    }

    private boolean holds(LocalDate day) {
        return periods.stream().anyMatch(p -> p.holds(day));
    }

    /** True when these exports hold every day of {@code from} to {@code to} except perhaps {@code except}. */
    private boolean holdsAllBut(LocalDate from, LocalDate to, LocalDate except) {
        LocalDate day = from;
        while (!day.isAfter(to)) {
            if (day.equals(except)) {
                if (!day.isBefore(to)) {
                    return true;
                }
                day = day.plusDays(1);
                continue;
            }
            LocalDate current = day;
            LocalDate end = periods.stream().filter(p -> p.holds(current)).map(Period::to).max(LocalDate::compareTo)
                    .orElse(null);
            if (end == null) {
                return false;
            }
            if (!end.isBefore(to)) {
                return true;
            }
            // Before to, so a day of the format (no day after 9999-12-31 is made).
            day = end.plusDays(1);
        }
        return true;
    }

    /**
     * The days from {@code from} up to, not including, {@code until} these exports hold only as far as they had
     * gone when read: read on that day, so records written later that day may be missing from them.
     */
    private List<LocalDate> partialDays(LocalDate from, LocalDate until) {
        List<LocalDate> partial = new ArrayList<>();
        for (Period period : periods) {
            LocalDate day = period.readOn();
            if (!day.isBefore(from) && day.isBefore(until) && period.holds(day)
                    && periods.stream().noneMatch(p -> p.holds(day) && p.readOn().isAfter(day))
                    && !partial.contains(day)) {
                partial.add(day);
            }
        }
        return partial;
    }

    private static String ref(LocalDate day, long sequence) {
        return EvidenceLayout.recordRef(day.toString(), sequence);
    }
}
