package health.vigil.modelpackage;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes zips byte by byte, so tests can build what {@link java.util.zip.ZipOutputStream} refuses to: duplicate
 * names, hostile names, and headers that lie about the size of an entry.
 */
final class RawZip {
    private final List<byte[]> localParts = new ArrayList<>();
    private final List<byte[]> centralParts = new ArrayList<>();
    private int offset;
    private int count;

    /** A stored (uncompressed) entry. */
    RawZip stored(String name, byte[] content) {
        return add(name, content, content, 0, content.length);
    }

    /** A deflated entry whose headers say it inflates to {@code declaredSize} bytes. */
    RawZip deflated(String name, byte[] content, long declaredSize) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        deflater.setInput(content);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return add(name, content, out.toByteArray(), 8, declaredSize);
    }

    /** An entry whose headers name compression {@code method} (12 bzip2, 14 LZMA, 93 Zstandard) over {@code data}. */
    RawZip compressed(String name, byte[] content, byte[] data, int method) {
        return add(name, content, data, method, content.length);
    }

    private RawZip add(String name, byte[] content, byte[] data, int method, long declaredSize) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(content);
        ByteBuffer local = le(30 + nameBytes.length + data.length);
        local.putInt(0x04034b50).putShort((short) 20).putShort((short) 0x0800).putShort((short) method)
                .putShort((short) 0).putShort((short) 0x21).putInt((int) crc.getValue()).putInt(data.length)
                .putInt((int) declaredSize).putShort((short) nameBytes.length).putShort((short) 0).put(nameBytes).put(data);
        ByteBuffer central = le(46 + nameBytes.length);
        central.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0x0800)
                .putShort((short) method).putShort((short) 0).putShort((short) 0x21).putInt((int) crc.getValue())
                .putInt(data.length).putInt((int) declaredSize).putShort((short) nameBytes.length).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(offset).put(nameBytes);
        localParts.add(local.array());
        centralParts.add(central.array());
        offset += local.capacity();
        count++;
        return this;
    }

    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        localParts.forEach(out::writeBytes);
        int centralSize = 0;
        for (byte[] part : centralParts) {
            out.writeBytes(part);
            centralSize += part.length;
        }
        ByteBuffer end = le(22);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) count).putShort((short) count)
                .putInt(centralSize).putInt(offset).putShort((short) 0);
        out.writeBytes(end.array());
        return out.toByteArray();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
