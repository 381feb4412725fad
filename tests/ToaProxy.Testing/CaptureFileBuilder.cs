using System.Buffers.Binary;

namespace ToaProxy.Testing;

/// <summary>Writes classic pcap and pcapng files by hand (little-endian, microsecond timestamps).</summary>
public static class CaptureFileBuilder
{
    public static byte[] Pcap(ushort linkType, params (DateTimeOffset Time, byte[] Data)[] frames)
    {
        using var file = new MemoryStream();
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), linkType);
        file.Write(header);
        foreach (var (time, data) in frames)
        {
            var record = new byte[16];
            long micros = (time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(micros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), (uint)(micros % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)data.Length);
            file.Write(record);
            file.Write(data);
        }

        return file.ToArray();
    }

    public static byte[] PcapNg(ushort linkType, params (DateTimeOffset Time, byte[] Data)[] frames)
    {
        using var file = new MemoryStream();

        // Section header block: type, length, byte-order magic, version 1.0, section length unknown.
        var shb = new byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(shb, 0x0a0d0d0a);
        BinaryPrimitives.WriteUInt32LittleEndian(shb.AsSpan(4), 28);
        BinaryPrimitives.WriteUInt32LittleEndian(shb.AsSpan(8), 0x1a2b3c4d);
        BinaryPrimitives.WriteUInt16LittleEndian(shb.AsSpan(12), 1);
        BinaryPrimitives.WriteInt64LittleEndian(shb.AsSpan(16), -1);
        BinaryPrimitives.WriteUInt32LittleEndian(shb.AsSpan(24), 28);
        file.Write(shb);

        // Interface description block: link type, snap length; default resolution is microseconds.
        var idb = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(idb, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(idb.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt16LittleEndian(idb.AsSpan(8), linkType);
        BinaryPrimitives.WriteUInt32LittleEndian(idb.AsSpan(12), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(idb.AsSpan(16), 20);
        file.Write(idb);

        foreach (var (time, data) in frames)
        {
            // Enhanced packet block, data padded to 32 bits.
            int padded = (data.Length + 3) & ~3;
            int length = 32 + padded;
            var epb = new byte[length];
            ulong micros = (ulong)((time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
            BinaryPrimitives.WriteUInt32LittleEndian(epb, 6);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(4), (uint)length);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(12), (uint)(micros >> 32));
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(16), (uint)micros);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(20), (uint)data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(24), (uint)data.Length);
            data.CopyTo(epb.AsSpan(28));
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(length - 4), (uint)length);
            file.Write(epb);
        }

        return file.ToArray();
    }
}
