using System.Buffers;
using System.IO.Pipelines;

namespace Mesh.Ingest.Mllp;

/// <summary>What went wrong with a frame's envelope.</summary>
public enum MllpFrameProblem
{
    /// <summary>A whole frame: start block, payload, end block.</summary>
    None,

    /// <summary>The payload passed the size limit; <see cref="MllpFrame.Content"/> holds its beginning only.</summary>
    Oversized,

    /// <summary>A start block arrived before the end block: the frame was cut off and a new one began.</summary>
    Truncated,
}

/// <summary>One frame's payload (without the 0x0B start and 0x1C 0x0D end blocks) and its envelope's problem.</summary>
public sealed record MllpFrame(byte[] Content, MllpFrameProblem Problem);

/// <summary>
/// MLLP framing (HL7 v2's minimal lower layer protocol): frames are 0x0B, the message, 0x1C 0x0D. Bytes outside a
/// frame are skipped; a frame over the size limit is read to its end but only its beginning is kept (so MSH can still
/// be answered); a start block inside a frame ends the cut-off frame. A lone 0x1C also ends a frame, as many
/// senders forget the 0x0D.
/// </summary>
public sealed class MllpFramer(int maxMessageBytes)
{
    /// <summary>The start block.</summary>
    public const byte StartBlock = 0x0B;

    /// <summary>The first byte of the end block.</summary>
    public const byte EndBlock = 0x1C;

    /// <summary>The last byte of the end block.</summary>
    public const byte CarriageReturn = 0x0D;

    // How much of an oversized frame is kept, enough for any MSH segment.
    private const int KeptOfOversized = 4096;

    private readonly ArrayBufferWriter<byte> frame = new();
    private bool inFrame;
    private bool oversized;

    /// <summary>Bytes seen outside any frame so far (noise, or a sender that does not frame).</summary>
    public long SkippedBytes { get; private set; }

    /// <summary>True while a frame has begun and not ended: the connection closing now cuts it off.</summary>
    public bool InFrame => inFrame;

    /// <summary>The next frame, or null when the connection ended (a frame cut off by the end is dropped).</summary>
    public async ValueTask<MllpFrame?> ReadAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            var next = Scan(ref buffer);
            if (next is not null)
            {
                // What follows the frame is not examined yet: the next read must see it without waiting for more.
                reader.AdvanceTo(buffer.Start);
                return next;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);

            if (result.IsCompleted || result.IsCanceled)
            {
                return null;
            }
        }
    }

    // Consumes what it can of the buffer; returns a frame as soon as one is complete.
    private MllpFrame? Scan(ref ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (!reader.End)
        {
            if (!inFrame)
            {
                var before = reader.Consumed;
                if (!reader.TryAdvanceTo(StartBlock))
                {
                    SkippedBytes += reader.Remaining;
                    reader.AdvanceToEnd();
                    break;
                }

                SkippedBytes += reader.Consumed - before - 1;
                Begin();
                continue;
            }

            if (reader.TryReadToAny(out ReadOnlySequence<byte> content, [EndBlock, StartBlock], advancePastDelimiter: false))
            {
                Append(content);
                reader.TryRead(out var delimiter);
                if (delimiter == StartBlock)
                {
                    // Leave the new start block to begin the next frame.
                    reader.Rewind(1);
                    buffer = buffer.Slice(reader.Position);
                    inFrame = false;
                    return Finish(MllpFrameProblem.Truncated);
                }

                if (reader.TryPeek(out var cr) && cr == CarriageReturn)
                {
                    reader.Advance(1);
                }

                buffer = buffer.Slice(reader.Position);
                inFrame = false;
                return Finish(oversized ? MllpFrameProblem.Oversized : MllpFrameProblem.None);
            }

            Append(reader.UnreadSequence);
            reader.AdvanceToEnd();
        }

        buffer = buffer.Slice(reader.Position);
        return null;
    }

    private void Begin()
    {
        inFrame = true;
        oversized = false;
        frame.ResetWrittenCount();
    }

    private void Append(ReadOnlySequence<byte> content)
    {
        foreach (var segment in content)
        {
            var room = (oversized ? KeptOfOversized : maxMessageBytes) - frame.WrittenCount;
            if (segment.Length > room)
            {
                if (!oversized)
                {
                    oversized = true;
                    // Keep only the beginning, where MSH is.
                    var kept = frame.WrittenSpan[..Math.Min(frame.WrittenCount, KeptOfOversized)].ToArray();
                    frame.ResetWrittenCount();
                    frame.Write(kept);
                    room = KeptOfOversized - frame.WrittenCount;
                }

                frame.Write(segment.Span[..Math.Max(0, Math.Min(room, segment.Length))]);
                continue;
            }

            frame.Write(segment.Span);
        }
    }

    private MllpFrame Finish(MllpFrameProblem problem) => new(frame.WrittenSpan.ToArray(), oversized && problem == MllpFrameProblem.Truncated ? MllpFrameProblem.Oversized : problem);

    /// <summary>The frame around a payload.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> payload)
    {
        var framed = new byte[payload.Length + 3];
        framed[0] = StartBlock;
        payload.CopyTo(framed.AsSpan(1));
        framed[^2] = EndBlock;
        framed[^1] = CarriageReturn;
        return framed;
    }
}
