#!/usr/bin/env python3
"""Verifies a folder of Vigil audit evidence, written from docs/audit-evidence-format.md alone.

Needs Python 3.8 or later (standard library only) and the openssl command for the ECDSA checks. Usage:

    verify-audit-export.py FOLDER --public-key KEY.pem [--public-key OLDER-KEY.pem ...]

Prints what it checked, a line "note: ..." for each digest whose export is not in the folder, then VERIFIED (exit
code 0), FAILED <KIND> in <file> [line <n>]: <what> (exit code 1), or NOTHING VERIFIED (exit code 1). A folder or
key file that cannot be used is exit code 2. An error of the verifier itself is a line NOT VERIFIED: ... naming it
(exit code 3), never a traceback. Without --public-key the keys in the folder's keys/ are trusted, which
shows only that the folder is consistent with itself.
"""

import argparse
import base64
import binascii
import calendar
import collections
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import unicodedata

RECORD_FORMAT = "vigil-audit-record/1"
STATEMENT_FORMAT = "vigil-signed-statement/1"
DIGEST_FORMAT = "vigil-audit-digest/1"
ANCHOR_FORMAT = "vigil-audit-anchor/1"
P256_KEY_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
PREVIOUS_DAY_HASHES = 4096
# How long after a day ended a write that read the clock before midnight may still append to that day.
MIDNIGHT_RACE_NANOS = 5 * 60 * 1_000_000_000
NANOS_PER_DAY = 86_400 * 1_000_000_000
# The format's days run from 0001-01-01 to 9999-12-31: the first has no day before it, the last none after it.
FIRST_DAY = "0001-01-01"
EPOCH = datetime.date(1970, 1, 1)
FIRST_DAY_NUMBER = (datetime.date(1, 1, 1) - EPOCH).days
# The first second after 9999-12-31, and the days of 400 years, after which the calendar repeats.
END_OF_THE_YEARS = calendar.timegm((9999, 12, 31, 0, 0, 0)) + 86_400
DAYS_OF_400_YEARS = 146_097
RECORD_MEMBERS = ("id", "partition", "sequence", "time", "actor", "action", "subject", "outcome", "details",
                  "previousHash", "hash")
# The members that hold text, in the order Vigil's verifier checks them, so that both name the same first problem.
REQUIRED_TEXT = ("id", "partition", "actor", "action", "subject", "outcome", "time", "hash")
# A name a message may repeat: letters, digits and underscores, as Vigil's verifier repeats one.
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# [0-9], not \d: in Python \d also matches the digits of other scripts, which the format does not write.
TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?Z")
DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
HOUR = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2})Z")
WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]*")
SHA256 = re.compile(r"[0-9a-f]{64}")
LARGEST_WHOLE_NUMBER = 2 ** 63 - 1
# Read no further than these: a forged folder of gigabytes must not take all the memory there is.
MAX_STATEMENT_BYTES = 1 << 20
MAX_LINE_BYTES = 4 << 20
MAX_KEY_FILE_BYTES = 64 * 1024


class Failed(Exception):
    """The first problem found: its kind, the file (relative to the folder), the line (0: the whole file)."""

    def __init__(self, kind, file, line, message):
        super().__init__(message)
        self.kind = kind
        self.file = file
        self.line = line
        self.message = message


class Unusable(Exception):
    """The verifier cannot run: a folder, key file or tool it was given cannot be used."""


# --- conventions ---------------------------------------------------------------------------------------------------

def netstring(text):
    data = text.encode("utf-8")
    return str(len(data)).encode("ascii") + b":" + data + b","


def key_order(key):
    """Java's String order: UTF-16 code units."""
    return key.encode("utf-16-be", "surrogatepass")


def shown(text):
    """Text as it is printed on one line of a terminal: every control character (line breaks and tabs too), every
    invisible format character (the bidirectional controls and marks among them), the line and paragraph separators
    and half a surrogate pair shown by name, as [U+001B], so nothing a forged folder holds (a file name, a field of an
    unsigned file) can move the cursor, rewrite the screen or print a VERIFIED of its own."""
    return "".join("[U+%04X]" % ord(c) if is_named(c) else c for c in text)


def is_named(c):
    code = ord(c)
    return (code < 0x20 or 0x7f <= code <= 0x9f or code in (0x2028, 0x2029)
            or unicodedata.category(c) in ("Cf", "Cs"))


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def parse_time(text):
    """A time as the format writes it: (its canonical text, nanoseconds since 1970), or None."""
    match = TIME.fullmatch(text) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    nanos = int((match.group(7) or "").ljust(9, "0"))
    canonical = "%04d-%02d-%02dT%02d:%02d:%02d%sZ" % (year, month, day, hour, minute, second, fraction_text(nanos))
    epoch = calendar.timegm((year, month, day, hour, minute, second)) * 1_000_000_000 + nanos
    return canonical, epoch


def time_text(epoch):
    """A time (nanoseconds since 1970) written as the format writes times, which is how Java's Instant writes them;
    after 9999, which only the end of the hour 9999-12-31T23Z reaches, Java writes the year with a + in front."""
    seconds, nanos = divmod(epoch, 1_000_000_000)
    if seconds >= END_OF_THE_YEARS:
        seconds -= DAYS_OF_400_YEARS * 86_400
        years = 400
    else:
        years = 0
    at = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    year = at.year + years
    return "%s%04d-%02d-%02dT%02d:%02d:%02d%sZ" % ("+" if year > 9999 else "", year, at.month, at.day, at.hour,
                                                   at.minute, at.second, fraction_text(nanos))


def fraction_text(nanos):
    """The fraction of a second as times are written: none, or 3, 6 or 9 digits, the fewest that hold it."""
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return ".%03d" % (nanos // 1_000_000)
    if nanos % 1_000 == 0:
        return ".%06d" % (nanos // 1_000)
    return ".%09d" % nanos


def whole_number(text):
    """A whole number as the format writes it (no sign, no leading zero, at most 2^63 - 1), or None."""
    if not isinstance(text, str) or not WHOLE_NUMBER.fullmatch(text) or int(text) > LARGEST_WHOLE_NUMBER:
        return None
    return int(text)


def is_unicode(text):
    """Whether text can be written as UTF-8: a JSON escape such as \\ud800 gives text that cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_day(text):
    return is_calendar_text(DAY, text)


def is_hour(text):
    """Whether text is an hour as an anchor names it, yyyy-MM-ddTHHZ."""
    return is_calendar_text(HOUR, text)


def is_calendar_text(pattern, text):
    """Whether text matches pattern, whose groups are a year, month, day (and hour) that exist."""
    match = pattern.fullmatch(text) if isinstance(text, str) else None
    if not match:
        return False
    try:
        datetime.datetime(*(int(g) for g in match.groups()))
    except ValueError:
        return False
    return True


def no_repeated_members(pairs):
    result = {}
    for name, value in pairs:
        if name in result:
            raise ValueError("it gives the field %s more than once" % quoted_name(name))
        result[name] = value
    return result


def no_constant(name):
    """NaN, Infinity and -Infinity, which Python's reader takes and JSON does not have."""
    raise ValueError("it is not valid JSON")


def read_json(data):
    return json.loads(data.decode("utf-8"), object_pairs_hook=no_repeated_members, parse_constant=no_constant)


def quoted_name(name):
    """A member's name for a message: quoted when it is a plain name, otherwise said not to be one, never repeated."""
    if PLAIN_NAME.fullmatch(name):
        return "'%s'" % name
    return "(its name, not repeated here, is not letters, digits and underscores)"


def abbreviated(hash_):
    """A hash as a message shows it: its first 16 characters and "...", when it is longer."""
    return hash_[:16] + "..." if len(hash_) > 16 else hash_


# --- records -------------------------------------------------------------------------------------------------------

def missing_before(sequence):
    """What a day's first record with this sequence (not 1) shows: which records of the day are missing."""
    if sequence == 0:
        return "the records of a day are numbered from 1"
    if sequence == 2:
        return "record 1 of that day is missing"
    return "records 1 to %d of that day are missing" % (sequence - 1)


def parse_record(raw):
    """A line of an export as a record (a dict with details as a dict), or a reason it is not one: the first problem
    Vigil's verifier names, checked in its order, in its words."""
    if b"\r" in raw:
        return None, "it holds a carriage return; lines end in one LF byte"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "it is not UTF-8"
    if text.startswith("\ufeff"):
        return None, "it begins with a byte order mark"
    try:
        record = json.loads(text, object_pairs_hook=no_repeated_members, parse_constant=no_constant)
    except json.JSONDecodeError as error:
        return None, "it is not valid JSON at line %d, column %d" % (error.lineno, error.colno)
    except ValueError as error:
        # A member given twice, or a constant JSON does not have: the hooks above say which.
        return None, str(error)
    except RecursionError:
        return None, ("it nests arrays or objects deeper than this verifier reads (a record holds one object, its"
                      " details)")
    if not isinstance(record, dict):
        return None, "it is not a JSON object"
    for name in record:
        if name not in RECORD_MEMBERS:
            return None, "it has a member the format does not have: %s" % quoted_name(name)
    for name in REQUIRED_TEXT:
        if name not in record:
            return None, "it has no '%s'" % name
        problem = text_problem(record[name], "'%s'" % name)
        if problem:
            return None, problem
    if "sequence" not in record:
        return None, "it has no 'sequence'"
    sequence = record["sequence"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not 0 <= sequence <= LARGEST_WHOLE_NUMBER:
        return None, "'sequence' is not a whole number (an integer from 0 to %d)" % LARGEST_WHOLE_NUMBER
    if parse_time(record["time"]) is None:
        return None, "'time' is not a time like 2026-11-03T09:15:27.120Z"
    details = record.get("details")
    if details is None:
        details = {}
    if not isinstance(details, dict):
        return None, "'details' is not an object of strings"
    for name, value in details.items():
        if not isinstance(value, str):
            return None, "'details' is not an object of strings"
        problem = text_problem(name, "a key of 'details'") or text_problem(value, "a value of 'details'")
        if problem:
            return None, problem
    record["details"] = details
    previous = record.get("previousHash")
    if previous is not None:
        problem = text_problem(previous, "'previousHash'")
        if problem:
            return None, problem
    record["previousHash"] = previous
    return record, None


def text_problem(value, what):
    """Why a member's value is not text, or None when it is."""
    if not isinstance(value, str):
        return "%s is not a string" % what
    if not is_unicode(value):
        return "%s holds text that is not valid Unicode (an unpaired surrogate)" % what
    return None


def canonical_bytes(record):
    out = [netstring(RECORD_FORMAT), netstring(record["id"]), netstring(record["partition"]),
           netstring(str(record["sequence"])), netstring(parse_time(record["time"])[0]), netstring(record["actor"]),
           netstring(record["action"]), netstring(record["subject"]), netstring(record["outcome"])]
    details = record["details"]
    out.append(netstring(str(len(details))))
    for key in sorted(details, key=key_order):
        out.append(netstring(key))
        out.append(netstring(details[key]))
    out.append(netstring(record["previousHash"] or ""))
    return b"".join(out)


def record_hash(record):
    return sha256_hex(canonical_bytes(record))


# --- keys and signatures -------------------------------------------------------------------------------------------

def key_from_pem(text):
    """The DER bytes of a P-256 public key in PEM form, or None."""
    match = re.search(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", text, re.S)
    if not match:
        return None
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(der) != 91 or not der.startswith(P256_KEY_PREFIX):
        return None
    return der


def key_id(der):
    return "sha256:" + sha256_hex(der)


def der_signature(p1363):
    """The DER form (SEQUENCE of two INTEGERs) of a 64-byte r || s signature."""

    def integer(value):
        value = value.lstrip(b"\x00") or b"\x00"
        if value[0] >= 0x80:
            value = b"\x00" + value
        return b"\x02" + bytes([len(value)]) + value

    body = integer(p1363[:32]) + integer(p1363[32:])
    return b"\x30" + bytes([len(body)]) + body


class Openssl:
    """ECDSA P-256 / SHA-256 checks through the openssl command, with files in a private temporary folder."""

    def __init__(self, work):
        self.command = shutil.which("openssl")
        if self.command is None:
            raise Unusable("the openssl command is not on PATH: install OpenSSL (it checks the ECDSA signatures)")
        self.work = work
        self.key_files = {}

    def add_key(self, der):
        path = os.path.join(self.work, "key-%d.pem" % len(self.key_files))
        body = base64.b64encode(der).decode("ascii")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        with open(path, "w", encoding="ascii") as out:
            out.write("-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n")
        self.key_files[key_id(der)] = path

    def verifies(self, kid, data, p1363):
        if len(p1363) != 64:
            return False
        data_file = os.path.join(self.work, "signed.bin")
        signature_file = os.path.join(self.work, "signature.der")
        with open(data_file, "wb") as out:
            out.write(data)
        with open(signature_file, "wb") as out:
            out.write(der_signature(p1363))
        result = subprocess.run([self.command, "dgst", "-sha256", "-verify", self.key_files[kid], "-signature",
                                 signature_file, data_file], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return result.returncode == 0 and b"Verified OK" in result.stdout


# --- signed statements ---------------------------------------------------------------------------------------------

def parse_statement(data):
    """(signed fields, keyId, signature) of a statement file, or None when it is not one."""
    try:
        members = read_json(data)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(members, dict) or not all(isinstance(v, str) for v in members.values()):
        return None
    if not all(is_unicode(k) and is_unicode(v) for k, v in members.items()):
        return None
    if "keyId" not in members or "signature" not in members:
        return None
    kid = members.pop("keyId")
    signature = members.pop("signature")
    return members, kid, signature


def signed_bytes(fields):
    out = [netstring(STATEMENT_FORMAT), netstring(str(len(fields)))]
    for name in sorted(fields, key=key_order):
        out.append(netstring(name))
        out.append(netstring(fields[name]))
    return b"".join(out)


def statement_name(prefix, fields):
    if prefix == "anchors/":
        return "anchors/" + fields.get("hour", "") + ".json"
    number = whole_number(fields.get("number", ""))
    if number is None:
        return "digests/(no number)"
    return "digests/%08d.json" % number


class Closure:
    """How many records a digest says a day of its period had when its export read it, for the days it closes: those
    that had ended by then, with MIDNIGHT_RACE left for a write racing midnight to land. Days compare as text.
    day_counts holds the last sequence of each day the digest names in dayLastRecords, None without the field."""

    def __init__(self, first_day, closed_through, record_first_day, record_last_day, last_sequence, day_counts, time,
                 source, read_at):
        self.first_day = first_day
        self.closed_through = closed_through
        self.record_first_day = record_first_day
        self.record_last_day = record_last_day
        self.last_sequence = last_sequence
        self.day_counts = day_counts
        self.time = time
        self.source = source
        self.read_at = read_at

    def records_of(self, day):
        """The records the digest says day had: -1 when it does not close the day, or does not say."""
        if day < self.first_day or day > self.closed_through:
            return -1
        if self.day_counts is not None:
            # It names the last record of each day with records: a day it does not name had none.
            return self.day_counts.get(day, 0)
        if self.record_last_day is None or day > self.record_last_day:
            return 0
        if day == self.record_last_day:
            return self.last_sequence
        # Of the first record's day and the days up to the last one's, it gives only the total count.
        return 0 if self.record_first_day is not None and day < self.record_first_day else -1


def closed_through_of(read_at):
    """The last day a read begun at read_at (nanoseconds since the epoch) had whole, as yyyy-mm-dd: the day before the
    one it began in, once MIDNIGHT_RACE is left for a write racing midnight to land. "" when that is before the first
    day of the format (a read within the first minutes of 0001-01-02 or before): it had no day whole, and "" sorts
    before every day."""
    began = (read_at - MIDNIGHT_RACE_NANOS) // NANOS_PER_DAY
    if began <= FIRST_DAY_NUMBER:
        return ""
    return str(EPOCH + datetime.timedelta(days=began - 1))


def day_before(day):
    """The day before a day of the format (yyyy-mm-dd), or None for 0001-01-01, the first there is."""
    if day <= FIRST_DAY:
        return None
    return str(datetime.date.fromisoformat(day) - datetime.timedelta(days=1))


def add_closure(closures, fields, name, exported_at, day_lasts):
    """The days a digest (checked, its witnesses well formed) closed, if any, and what it says of them; with day_lasts,
    the last record of each of its days with records, it gives each day's count."""
    read_at = statement_time(fields, name, "readAt")
    closed_through = min(closed_through_of(read_at), fields["to"])
    if closed_through < fields["from"]:
        return
    first, last = fields.get("firstRecord", ""), fields.get("lastRecord", "")
    closures.append(Closure(fields["from"], closed_through, first.rpartition("#")[0] if first else None,
                            last.rpartition("#")[0] if last else None,
                            whole_number(last.rpartition("#")[2]) if last else 0,
                            None if day_lasts is None else {day: sequence for day, sequence, _ in day_lasts},
                            exported_at, name, fields["readAt"]))


class Witness:
    def __init__(self, day, sequence, hash_, time, source):
        self.day = day
        self.sequence = sequence
        self.hash = hash_
        self.time = time
        self.source = source


def add_witness(witnesses, source, ref, hash_, time):
    if ref == "":
        return
    day, mark, number = ref.rpartition("#")
    sequence = whole_number(number)
    if not mark or sequence is None:
        raise Failed("MALFORMED_STATEMENT", source, 0, "%s names record '%s'; records are named day#sequence"
                     % (source, ref))
    if day == "" or hash_ == "":
        raise Failed("MALFORMED_STATEMENT", source, 0, "%s names record '%s' without its hash" % (source, ref))
    witnesses.setdefault(day, {}).setdefault(sequence, []).append(Witness(day, sequence, hash_, time, source))


def statement_time(fields, name, field):
    parsed = parse_time(fields.get(field, ""))
    if parsed is None:
        raise Failed("MALFORMED_STATEMENT", name, 0, "%s has no valid time in '%s'" % (name, field))
    return parsed[1]


def anchored_at(fields, name):
    """An anchor's anchoredAt, which must lie within its hour: an anchor is named for the hour it is signed in."""
    at = statement_time(fields, name, "anchoredAt")
    start = parse_time(fields["hour"][:-1] + ":00:00Z")[1]
    end = start + 3_600 * 1_000_000_000
    if not start <= at < end:
        raise Failed("MALFORMED_STATEMENT", name, 0, "%s was signed at %s (its anchoredAt), outside its hour %s (from"
                     " %s to %s): an anchor is signed within the hour it is named for, so this one was not made by"
                     " Vigil's hourly anchoring, or the clock of the instance that signed it was wrong"
                     % (name, fields["anchoredAt"], fields["hour"], time_text(start), time_text(end)))
    return at


def check_latest_anchor(fields, name, anchor_sha256s):
    """A digest's latestAnchor, when it names one, is among the anchors with the sha256 the digest gives: the anchors'
    own chain does not show all of them removed."""
    anchor = fields.get("latestAnchor", "")
    if anchor == "":
        return
    if anchor not in anchor_sha256s:
        raise Failed("BROKEN_STATEMENT_CHAIN", name, 0, "%s names %s as the latest anchor signed before it, which is"
                     " not among the anchors here: anchors were removed" % (name, anchor))
    if anchor_sha256s[anchor] != fields.get("latestAnchorSha256", ""):
        raise Failed("BROKEN_STATEMENT_CHAIN", name, 0, "%s is not the anchor %s names as the latest signed before it"
                     " (its sha256 differs): %s was replaced" % (anchor, name, anchor))


def statement_count(fields, name):
    count = whole_number(fields.get("count", ""))
    if count is None:
        raise Failed("MALFORMED_STATEMENT", name, 0, "%s has no valid record count in 'count' (a whole number: digits"
                     " only, without sign or leading zero)" % name)
    return count


def day_last_records(fields, name):
    """The last record of each day with records that a digest of more than one day names in dayLastRecords, in day
    order, as (day, sequence, hash): its count of each day. None for a digest without the field (of one day, or
    written before digests gave each day's count), which gives only the total of the days between its first and last
    records'. The entries must be well formed, in order within the digest's period, and agree with its count and its
    first and last records."""
    if "dayLastRecords" not in fields:
        return None
    value = fields["dayLastRecords"]
    first_day, last_day = statement_day(fields, name, "from"), statement_day(fields, name, "to")
    lasts = []
    for entry in value.split(",") if value else ():
        ref, colon, hash_ = entry.rpartition(":")
        day, mark, number = ref.rpartition("#")
        sequence = whole_number(number) if colon and mark else None
        if (not is_day(day) or sequence is None or sequence < 1 or not SHA256.fullmatch(hash_)
                or not first_day <= day <= last_day or (lasts and day <= lasts[-1][0])):
            raise Failed("MALFORMED_STATEMENT", name, 0, "%s names '%s' in 'dayLastRecords': each day's last record is"
                         " named day#sequence:sha256, one for each day with records, in order, within the digest's"
                         " period %s to %s" % (name, entry, first_day, last_day))
        lasts.append((day, sequence, hash_))
    count = statement_count(fields, name)
    last = "%s#%d" % lasts[-1][:2] if lasts else ""
    first = fields.get("firstRecord", "")
    if (sum(sequence for _, sequence, _ in lasts) != count or last != fields.get("lastRecord", "")
            or (lasts[-1][2] if lasts else "") != fields.get("lastRecordHash", "")
            or (first.rpartition("#")[0] != lasts[0][0] if lasts else first != "")):
        raise Failed("MALFORMED_STATEMENT", name, 0, "%s's 'dayLastRecords' does not agree with its count, first record"
                     " and last record: the sequences of the days' last records add up to the count, the first names"
                     " the first record's day and the last is the last record, with its hash; it was not made by"
                     " Vigil's export" % name)
    return lasts


def last_record_hash_of(fields, name, day):
    """What a digest (checked) says of the last record of day, a day of its period: the hash it names for it (of its
    last record, on its last record's day, or of that day's entry in dayLastRecords); "" when it says the day had
    records without naming the last (a day from its first record's to before its last record's, in a digest without
    dayLastRecords); None when it says the day had none."""
    last = fields.get("lastRecord", "")
    if not last:
        return None
    day_lasts = day_last_records(fields, name)
    if day_lasts is not None:
        return next((hash_ for named_day, _, hash_ in day_lasts if named_day == day), None)
    last_day = last.rpartition("#")[0]
    first = fields.get("firstRecord", "")
    if day > last_day or day < (first.rpartition("#")[0] if first else ""):
        return None
    return fields.get("lastRecordHash", "") if day == last_day else ""


EXPORT_NAME = re.compile(r"exports/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")


def check_export_name(fields, name):
    """A digest's records: a file under exports/ in plain segments, none of them . or .., as Vigil's export names it."""
    records = fields.get("records", "")
    if not EXPORT_NAME.fullmatch(records) or any(part in (".", "..") for part in records.split("/")):
        raise Failed("MALFORMED_STATEMENT", name, 0, "%s names no file under exports/ in 'records' (an export's name is"
                     " exports/ and segments of letters, digits, '.', '_' and '-' separated by '/', none of them '.'"
                     " or '..'): this digest was not made by Vigil's export" % name)


def statement_day(fields, name, field):
    if not is_day(fields.get(field, "")):
        raise Failed("MALFORMED_STATEMENT", name, 0, "%s has no valid day in '%s'" % (name, field))
    return fields[field]


# --- the folder ----------------------------------------------------------------------------------------------------

class Folder:
    def __init__(self, root):
        self.root = os.path.realpath(root)

    def list(self, prefix):
        top = os.path.join(self.root, prefix)
        names = []
        for directory, _, files in os.walk(top):
            for file in files:
                path = os.path.join(directory, file)
                if os.path.isfile(path):
                    names.append(os.path.relpath(path, self.root).replace(os.sep, "/"))
        return sorted(names, key=key_order)

    def path(self, name):
        """The file of that name inside the folder, or None when there is none."""
        path = os.path.realpath(os.path.join(self.root, name))
        if not path.startswith(self.root + os.sep) or not os.path.isfile(path):
            return None
        return path

    def read(self, name, limit):
        """At most limit + 1 bytes of the file: one more than the longest it may be shows that it is longer."""
        with open(os.path.join(self.root, name), "rb") as file:
            return file.read(limit + 1)


class Coverage:
    """The periods the verified exports hold, the UTC day each was read on, and each day's highest sequence held."""

    def __init__(self):
        self.periods = []
        self.held = {}

    def add(self, first_day, last_day, read_on, last_sequence):
        self.periods.append((first_day, last_day, read_on))
        for day, sequence in last_sequence.items():
            day = datetime.date.fromisoformat(day)
            self.held[day] = max(self.held.get(day, 0), sequence)

    def covers(self, day):
        return any(first <= day <= last for first, last, _ in self.periods)

    def overlaps(self, first_day, last_day):
        return any(first <= last_day and last >= first_day for first, last, _ in self.periods)

    def covers_all_but(self, first_day, last_day, excepted):
        return all(self.covers(day) for day in days(first_day, last_day) if day != excepted)

    def partial_days(self, first_day, until):
        """The read days from first_day up to, not including, until that no export covering them read later."""
        partial = []
        for first, last, read_on in self.periods:
            if (first_day <= read_on < until and first <= read_on <= last
                    and not any(f <= read_on <= t and r > read_on for f, t, r in self.periods)
                    and read_on not in partial):
                partial.append(read_on)
        return partial


def days(first_day, last_day):
    """The days from first_day to last_day, both included (counted, so 9999-12-31 needs no day after it)."""
    for n in range((last_day - first_day).days + 1):
        yield first_day + datetime.timedelta(days=n)


def record_ref(fields, name, field):
    """(day, sequence) of the record a statement names in field, or None when it names none."""
    ref = fields.get(field, "")
    if ref == "":
        return None
    day, mark, number = ref.rpartition("#")
    sequence = whole_number(number)
    if not mark or not is_day(day) or sequence is None:
        raise Failed("MALFORMED_STATEMENT", name, 0, "%s names record '%s' in '%s'; records are named day#sequence"
                     % (name, ref, field))
    return datetime.date.fromisoformat(day), sequence


class Verifier:
    def __init__(self, folder, openssl, trusted):
        self.folder = folder
        self.openssl = openssl
        self.trusted = trusted
        self.witnesses = {}
        self.closures = []
        self.anchors = []
        self.digests = []
        self.checked = []
        self.records = 0
        self.notes = []
        self.coverage = Coverage()
        # The days before the digests' first days, the last records of those an export read whole (by day: that
        # export and the hashes), and each export's first record of its first day with the hash it chains to.
        self.days_before = set()
        self.tails = {}
        self.first_links = []

    def verify(self):
        if not self.trusted:
            # Named by the first signed statement that cannot be checked, if any: keys removed are not "never signed".
            unchecked = self.folder.list("anchors/") + self.folder.list("digests/")
            raise Failed("NO_TRUSTED_KEY", unchecked[0] if unchecked else "keys/", 0, "no trusted public key%s: give"
                         " the public key(s) published with the exports, obtained from a source you trust"
                         % (" to check the %d signed statements here" % len(unchecked) if unchecked else ""))
        anchor_sha256s = {}
        self.anchors = self.chain("anchors/", ANCHOR_FORMAT, "previousAnchor", "previousAnchorSha256", anchor_sha256s)
        for name, fields in self.anchors:
            at = anchored_at(fields, name)
            add_witness(self.witnesses, name, fields.get("chainHeadRecord", ""), fields.get("chainHeadHash", ""), at)
        self.digests = self.chain("digests/", DIGEST_FORMAT, "previousDigest", "previousDigestSha256", {})
        for name, fields in self.digests:
            at = statement_time(fields, name, "exportedAt")
            if at < statement_time(fields, name, "readAt"):
                raise Failed("MALFORMED_STATEMENT", name, 0, "%s was signed at %s (its exportedAt), before its export"
                             " began reading the records at %s (its readAt): a digest is signed after its records are"
                             " read, so this one was not made by Vigil's export, or the clock of the instance that"
                             " signed it was wrong" % (name, fields["exportedAt"], fields["readAt"]))
            first, last = statement_day(fields, name, "from"), statement_day(fields, name, "to")
            if first > last:
                raise Failed("MALFORMED_STATEMENT", name, 0, "%s covers the days from %s to %s, which ends before it"
                             " starts: an export's first day is not after its last, so this digest was not made by"
                             " Vigil's export" % (name, first, last))
            check_export_name(fields, name)
            for record, hash_ in (("firstRecord", "firstRecordHash"), ("lastRecord", "lastRecordHash"),
                                  ("chainHeadRecord", "chainHeadHash")):
                add_witness(self.witnesses, name, fields.get(record, ""), fields.get(hash_, ""), at)
            day_lasts = day_last_records(fields, name)
            for day, sequence, hash_ in day_lasts or ():
                add_witness(self.witnesses, name, "%s#%d" % (day, sequence), hash_, at)
            check_latest_anchor(fields, name, anchor_sha256s)
            add_closure(self.closures, fields, name, at, day_lasts)
        for _, fields in self.digests:
            self.days_before.add(day_before(fields["from"]))
        absent = []
        for name, fields in self.digests:
            path = self.folder.path(fields.get("records", ""))
            if path is None:
                absent.append((name, fields))
                continue
            self.verify_export(name, fields, path)
            self.checked.append((name, fields))
        self.check_links_between_exports()
        signed = {fields.get("records", "") for _, fields in self.digests}
        for export in self.folder.list("exports/"):
            if export not in signed:
                raise Failed("UNSIGNED_EXPORT", export, 0, "%s is named by no digest: its digest was removed, or"
                             " the file was added" % export)
        for name, fields in absent:
            self.notes.append(self.judge_absent(name, fields))
        self.check_links_to_absent_exports(absent)
        if not self.digests and not self.anchors:
            self.notes.append("there are no digests and no anchors: nothing was verified")

    def chain(self, prefix, format_, previous_field, previous_sha_field, sha256s):
        """The statements under prefix, each checked and linked to the one before; sha256s gets each file's sha256."""
        statements = []
        previous_name = None
        previous_sha = None
        for name in self.folder.list(prefix):
            data = self.folder.read(name, MAX_STATEMENT_BYTES)
            if len(data) > MAX_STATEMENT_BYTES:
                raise Failed("MALFORMED_STATEMENT", name, 0, "%s is larger than %d bytes: not a signed statement Vigil"
                             " wrote (one is a few hundred bytes)" % (name, MAX_STATEMENT_BYTES))
            parsed = parse_statement(data)
            if parsed is None:
                raise Failed("MALFORMED_STATEMENT", name, 0, "%s is not a signed statement (a JSON object of"
                             " strings with keyId and signature)" % name)
            fields, kid, signature = parsed
            if fields.get("format", "") != format_:
                raise Failed("MALFORMED_STATEMENT", name, 0, "%s has format '%s'; expected %s"
                             % (name, fields.get("format", ""), format_))
            if format_ == ANCHOR_FORMAT and not is_hour(fields.get("hour", "")):
                raise Failed("MALFORMED_STATEMENT", name, 0, "%s has no valid hour in 'hour' (an hour that exists,"
                             " written yyyy-MM-ddTHHZ like 2026-11-03T10Z): it is not an anchor Vigil wrote" % name)
            expected = statement_name(prefix, fields)
            if name != expected:
                raise Failed("MALFORMED_STATEMENT", name, 0, "%s says it is %s: the file was renamed or replaced"
                             " by another statement" % (name, expected))
            if kid not in self.trusted:
                raise Failed("UNTRUSTED_KEY", name, 0, "%s is signed by key %s, which is not a trusted key: it was"
                             " not signed by Vigil's signing key, or that key's public half was not given (after a key"
                             " rotation, give the earlier keys too: every key that signed is published in"
                             " audit-exports/keys/)" % (name, kid))
            try:
                p1363 = base64.b64decode(signature, validate=True)
            except (binascii.Error, ValueError):
                p1363 = b""
            if not self.openssl.verifies(kid, signed_bytes(fields), p1363):
                raise Failed("BAD_SIGNATURE", name, 0, "the signature of %s does not verify with key %s: the"
                             " statement was changed after it was signed" % (name, kid))
            claimed = fields.get(previous_field, "")
            if previous_name is None:
                if claimed != "":
                    raise Failed("BROKEN_STATEMENT_CHAIN", name, 0, "%s is the first of %s here but names %s before"
                                 " it, which is missing: the earliest statements were removed (verification needs the"
                                 " whole chain from the first)" % (name, prefix, claimed))
            elif claimed != previous_name:
                raise Failed("BROKEN_STATEMENT_CHAIN", name, 0, "%s names %s as the one before it, but %s precedes"
                             " it: a statement was removed, inserted or replaced"
                             % (name, claimed or "no statement", previous_name))
            elif fields.get(previous_sha_field, "") != previous_sha:
                raise Failed("BROKEN_STATEMENT_CHAIN", name, 0, "%s is not the file %s was chained to (its sha256"
                             " differs): %s was replaced" % (previous_name, name, previous_name))
            previous_name = name
            previous_sha = sha256_hex(data)
            sha256s[name] = previous_sha
            statements.append((name, fields))
        return statements

    def binds(self, witness, read_at, digest_name):
        return witness.time < read_at or witness.source == digest_name

    def closing(self, day, read_at, digest_name):
        """Of the digests that closed day and bind a read at read_at, the one saying it had the fewest records."""
        least = None
        for closure in self.closures:
            records = closure.records_of(day)
            if records >= 0 and self.binds(closure, read_at, digest_name) and (
                    least is None or records < least.records_of(day)):
                least = closure
        return least

    def keep_tail(self, file, day, closed_through, day_hashes):
        """Keeps the last records of a day before a digest's first day, when this export read that day whole."""
        if day in self.days_before and day <= closed_through and day not in self.tails:
            self.tails[day] = (file, set(day_hashes))

    def check_links_between_exports(self):
        """Each export's first record chains to the day before its first day, as an export here read it whole."""
        for file, day, previous_hash in self.first_links:
            before = day_before(day)
            if before in self.tails and previous_hash not in self.tails[before][1]:
                holder = self.tails[before][0]
                raise Failed("BROKEN_LINK", file, 1, "line 1 of %s (%s#1) does not chain to any record of %s in %s,"
                             " which read that day whole: records of %s were changed or removed after %s was"
                             " exported" % (file, day, before, holder, before, holder))

    def check_links_to_absent_exports(self, absent):
        """Each export's first record whose day before no export here read whole, against the digests whose export
        is absent that read that day whole."""
        for file, day, previous_hash in self.first_links:
            before = day_before(day)
            # A first record of 0001-01-01 chains to no day of the format: nothing was exported before it.
            if before is not None and before not in self.tails:
                self.check_link_against_absent(file, day, before, previous_hash, absent)

    @staticmethod
    def check_link_against_absent(file, day, day_before, previous_hash, absent):
        """The link is shown when a digest that read the day before whole names its last record with the hash the
        first record carries; a record of that day no such digest names can be checked only against its export."""
        unshown = None
        for name, fields in absent:
            read_at = statement_time(fields, name, "readAt")
            closed_through = closed_through_of(read_at)
            if not fields["from"] <= day_before <= min(fields["to"], closed_through):
                continue
            named = last_record_hash_of(fields, name, day_before)
            if named is None:
                # It says the day had no records: the export chains to an earlier day, which no export here read.
                continue
            if named and named == previous_hash:
                return
            if unshown is None:
                unshown = (name, fields.get("records", ""))
        if unshown is not None:
            name, records = unshown
            raise Failed("MISSING_LINKED_EXPORT", file, 1, "line 1 of %s (%s#1) chains to a record of %s that no"
                         " digest here names as that day's last, and %s, which read %s whole, names %s, which is not"
                         " among these files: include %s, the export it names, and verify again (a write racing"
                         " midnight chains to an earlier record of the day; a day changed after it was exported"
                         " chains to none of its records)"
                         % (file, day, day_before, name, day_before, records, records))

    def verify_export(self, digest_name, digest, path):
        file = digest["records"]
        first_day = statement_day(digest, digest_name, "from")
        last_day = statement_day(digest, digest_name, "to")
        read_at = statement_time(digest, digest_name, "readAt")
        # The days this export read whole: every record they will hold existed when it began reading.
        closed_through = closed_through_of(read_at)
        # Before the lines: a count the format does not write is malformed, not a count that differs.
        statement_count(digest, digest_name)
        sha = hashlib.sha256()
        line = 0
        first = previous = None
        day_hashes = collections.deque(maxlen=PREVIOUS_DAY_HASHES)
        last_sequence = {}
        closing, closed_at = None, -1
        with open(path, "rb") as stream:
            # A line is read up to its LF or one byte past the longest line there may be, whichever comes first.
            for raw in iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b""):
                sha.update(raw)
                line += 1
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    record = None
                    problem = "it is longer than %d bytes, far more than any audit record" % MAX_LINE_BYTES
                elif raw.endswith(b"\n"):
                    record, problem = parse_record(raw[:-1])
                else:
                    record, problem = None, "it does not end in a line feed (LF); every line does, the last one too"
                if record is None:
                    raise Failed("MALFORMED_RECORD", file, line, "line %d of %s is not an audit record: %s"
                                 % (line, file, problem))
                day = record["partition"]
                at = "line %d of %s (%s#%d)" % (line, file, day, record["sequence"])
                if day < first_day or day > last_day:
                    raise Failed("WRONG_PARTITION", file, line, "%s is outside the exported period %s to %s: it"
                                 " was inserted" % (at, first_day, last_day))
                if day != record["time"][:10]:
                    raise Failed("WRONG_PARTITION", file, line, "%s has a time on %s but names day %s: it was"
                                 " moved or its time was changed" % (at, record["time"][:10], day))
                if record_hash(record) != record["hash"]:
                    raise Failed("HASH_MISMATCH", file, line, "%s does not match its hash: its content was changed"
                                 " after it was written" % at)
                if previous is None or previous["partition"] != day:
                    if previous is not None and day < previous["partition"]:
                        raise Failed("WRONG_PARTITION", file, line, "%s follows a record of %s: days are out of"
                                     " order" % (at, previous["partition"]))
                    if record["sequence"] != 1:
                        raise Failed("SEQUENCE_GAP", file, line, "%s is the first record of %s but has sequence %d:"
                                     " %s" % (at, day, record["sequence"], missing_before(record["sequence"])))
                    if previous is not None and record["previousHash"] not in day_hashes:
                        raise Failed("BROKEN_LINK", file, line, "%s does not chain to any record of %s, the day"
                                     " before it: records of that day were changed or removed"
                                     % (at, previous["partition"]))
                    if previous is not None:
                        self.keep_tail(file, previous["partition"], closed_through, day_hashes)
                    day_hashes = collections.deque(maxlen=PREVIOUS_DAY_HASHES)
                    closing = self.closing(day, read_at, digest_name)
                    closed_at = -1 if closing is None else closing.records_of(day)
                else:
                    if record["sequence"] != previous["sequence"] + 1:
                        raise Failed("SEQUENCE_GAP", file, line, "%s follows record %d; expected sequence %d: records"
                                     " were removed, reordered or inserted"
                                     % (at, previous["sequence"], previous["sequence"] + 1))
                    if record["previousHash"] != previous["hash"]:
                        raise Failed("BROKEN_LINK", file, line, "%s does not carry the hash of record %d: that"
                                     " record was replaced, or this record's link was changed"
                                     % (at, previous["sequence"]))
                for witness in self.witnesses.get(day, {}).get(record["sequence"], []):
                    if self.binds(witness, read_at, digest_name) and witness.hash != record["hash"]:
                        raise Failed("CONTRADICTS_SIGNED_EVIDENCE", file, line, "%s has hash %s but %s (signed %s)"
                                     " says it had %s: the log was rewritten after that was signed"
                                     % (at, abbreviated(record["hash"]), witness.source, time_text(witness.time),
                                        abbreviated(witness.hash)))
                if closing is not None and record["sequence"] > closed_at:
                    raise Failed("CONTRADICTS_SIGNED_EVIDENCE", file, line, "%s was appended to %s after the day was"
                                 " exported: %s (signed %s) says the day had %s when its export read it at %s, after"
                                 " the day had ended" % (at, day, closing.source, time_text(closing.time),
                                                         counted(closed_at, "record") if closed_at else "no records",
                                                         closing.read_at))
                day_hashes.append(record["hash"])
                last_sequence[day] = record["sequence"]
                first = first or record
                previous = record
        if previous is not None:
            self.keep_tail(file, previous["partition"], closed_through, day_hashes)
        for day in sorted(d for d in self.witnesses if first_day <= d <= last_day):
            last = last_sequence.get(day, 0)
            for sequence in sorted(s for s in self.witnesses[day] if s > last):
                for witness in self.witnesses[day][sequence]:
                    if self.binds(witness, read_at, digest_name):
                        raise Failed("TRUNCATED", file, 0, "%s %s, but %s (signed %s) names record %s#%d: records"
                                     " were removed from the log" % (file, "has no records of " + day if last == 0
                                                                     else "ends %s at record %d" % (day, last),
                                                                     witness.source, time_text(witness.time), day,
                                                                     sequence))
        if str(line) != digest.get("count"):
            raise Failed("EXPORT_MISMATCH", file, 0, "%s holds %d records; %s says %s: lines were removed or added"
                         % (file, line, digest_name, digest.get("count")))
        if sha.hexdigest() != digest.get("sha256"):
            raise Failed("EXPORT_MISMATCH", file, 0, "the sha256 of %s is %s; %s says %s: the file was changed after"
                         " it was exported" % (file, abbreviated(sha.hexdigest()), digest_name,
                                               abbreviated(digest.get("sha256", ""))))
        if ((first["hash"] if first else "") != digest.get("firstRecordHash")
                or (previous["hash"] if previous else "") != digest.get("lastRecordHash")):
            raise Failed("EXPORT_MISMATCH", file, 0, "the first or last record of %s is not the one %s names"
                         % (file, digest_name))
        self.records += line
        if first is not None and first["partition"] == first_day:
            self.first_links.append((file, first_day, first["previousHash"]))
        self.coverage.add(datetime.date.fromisoformat(first_day), datetime.date.fromisoformat(last_day),
                          datetime.date.fromisoformat(digest["readAt"][:10]), last_sequence)

    def judge_absent(self, name, digest):
        """The note on a digest whose export is absent; MISSING_EXPORT when it attests records of the covered days
        that no export here holds (the completeness rule of the format, step 5)."""
        count = statement_count(digest, name)
        first_day = datetime.date.fromisoformat(statement_day(digest, name, "from"))
        last_day = datetime.date.fromisoformat(statement_day(digest, name, "to"))
        first = record_ref(digest, name, "firstRecord")
        last = record_ref(digest, name, "lastRecord")
        file = digest.get("records", "")
        absent = "%s names %s, which is not among these files" % (name, file)
        include = ": include %s, the export it names, and verify again" % file
        coverage = self.coverage
        if not coverage.overlaps(first_day, last_day):
            return ("%s; its period %s to %s is outside the days these exports hold, so only its signature and links"
                    " were checked" % (absent, first_day, last_day))
        if count == 0 or first is None or last is None:
            return absent + "; it holds no record"
        day_lasts = day_last_records(digest, name)
        # A digest that names each day's last record holds each day to its own count; one that does not, its first
        # and last records' days to theirs and the days between them to their total.
        named = (first, last) if day_lasts is None else [(datetime.date.fromisoformat(day), sequence)
                                                        for day, sequence, _ in day_lasts]
        for day, sequence in named:
            held = coverage.held.get(day, 0)
            if coverage.covers(day) and held < sequence:
                raise Failed("MISSING_EXPORT", name, 0, "%s attests records %s#%d to %s#%d, which no export among"
                             " these files holds (they hold %s%s)%s"
                             % (name, day, held + 1, day, sequence, day,
                                " without records" if held == 0 else " up to #%d" % held, include))
        whole = absent + "; every record it holds of the days these exports hold is among them"
        if day_lasts is not None:
            return whole
        if coverage.covers_all_but(first[0], last[0], last[0]):
            # Records of the last day after its sequence were written after the digest read the day: they stand for
            # none of its other days' records.
            attested = count - last[1]
            held = sum(coverage.held.get(day, 0) for day in days(first[0], last[0]) if day != last[0])
            if held < attested:
                raise Failed("MISSING_EXPORT", name, 0, "%s attests %d records of the days from %s to %s other than"
                             " %s, its last record's day, but these exports hold %d of them: %d records it attests"
                             " are missing%s"
                             % (name, attested, first[0], last[0], last[0], held, attested - held, include))
            return whole
        partial = coverage.partial_days(first[0], last[0])
        if not partial:
            return whole
        return ("%s; it also holds days no export here holds, so its digest does not say how many records it holds of"
                " [%s], which these exports read before the day ended: include it to check them"
                % (absent, ", ".join(str(day) for day in partial)))

def trusted_keys(paths, folder, openssl):
    trusted = set()
    for path in paths:
        if not os.path.isfile(path):
            raise Unusable("'%s' is not a file: give --public-key the PEM file of the key published with the"
                           " exports" % path)
        with open(path, "rb") as file:
            pem = file.read(MAX_KEY_FILE_BYTES + 1)
        der = None if len(pem) > MAX_KEY_FILE_BYTES else key_from_pem(pem.decode("ascii", errors="replace"))
        if der is None:
            raise Unusable("'%s' is not a P-256 public key in PEM form (-----BEGIN PUBLIC KEY-----)" % path)
        openssl.add_key(der)
        trusted.add(key_id(der))
    return trusted



def counted(n, noun):
    """A count and its noun, singular for one: "1 export", "2 exports"."""
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")

def main(arguments):
    parser = argparse.ArgumentParser(description="Verify a folder of Vigil audit evidence"
                                     " (docs/audit-evidence-format.md).")
    parser.add_argument("folder", help="the evidence folder (exports/, digests/, anchors/, keys/)")
    parser.add_argument("--public-key", action="append", default=[], metavar="KEY.pem",
                        help="a trusted public key; repeat for the keys before a rotation")
    options = parser.parse_args(arguments)
    try:
        return verify_folder(options)
    except Exception as error:  # pylint: disable=broad-except
        # A fault of this script, not of the folder: a verdict line, not a traceback. Only the error's type and the
        # place it was raised are printed; its text may quote what the folder holds.
        here = [frame for frame in traceback.extract_tb(error.__traceback__)
                if os.path.abspath(frame.filename) == os.path.abspath(__file__)]
        place = " in %s (line %d of %s)" % (here[-1].name, here[-1].lineno, os.path.basename(__file__)) if here else ""
        print("NOT VERIFIED: the verifier stopped at an error of its own, %s%s, before it finished checking the"
              " folder: this says nothing about the folder; report it with this line, and verify the folder with"
              " vigil audit verify" % (type(error).__name__, place))
        return 3


def verify_folder(options):
    """Verifies the folder the options name and prints what it found; the exit code."""
    try:
        if not os.path.isdir(options.folder):
            raise Unusable("'%s' is not a folder: give the folder 'vigil audit export' wrote" % options.folder)
        folder = Folder(options.folder)
        with tempfile.TemporaryDirectory(prefix="vigil-verify-") as work:
            openssl = Openssl(work)
            keys = options.public_key
            if not keys:
                keys = [os.path.join(folder.root, name) for name in folder.list("keys/")]
                print("warning: no --public-key given; trusting the %d key(s) in the folder's keys/. Anyone who can"
                      " write the folder can replace them: pass the key published with the exports." % len(keys))
            verifier = Verifier(folder, openssl, trusted_keys(keys, folder, openssl))
            problem = None
            try:
                verifier.verify()
            except Failed as failed:
                problem = failed
    except Unusable as error:
        print("error: %s" % shown(str(error)), file=sys.stderr)
        return 2
    print("checked %s, %s, %s, %s" % (counted(len(verifier.anchors), "anchor"), counted(len(verifier.digests), "digest"),
                                       counted(len(verifier.checked), "export"), counted(verifier.records, "record")))
    for note in verifier.notes:
        print("note: " + shown(note))
    if problem is not None:
        print("FAILED %s in %s%s: %s" % (problem.kind, shown(problem.file),
                                          " line %d" % problem.line if problem.line else "", shown(problem.message)))
        return 1
    if not verifier.checked:
        print("NOTHING VERIFIED: no export file among these files was checked against its digest; verify the folder"
              " 'vigil audit export' wrote, with its exports/ folder")
        return 1
    print("VERIFIED")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
