using System.IO.Pipelines;
using System.Text;
using Mesh.Ingest.Mllp;

namespace Mesh.Ingest.Tests.Mllp;

public sealed class MllpFramerTests
{
    [Fact]
    public async Task Read_FramesSplitAcrossWrites_AreReassembled()
    {
        var pipe = new Pipe();
        var framer = new MllpFramer(1024);
        var bytes = MllpFramer.Wrap("MSH|one"u8).Concat(MllpFramer.Wrap("MSH|two"u8)).ToArray();

        var reading = Task.Run(async () => new[] { await framer.ReadAsync(pipe.Reader, default), await framer.ReadAsync(pipe.Reader, default) });
        foreach (var b in bytes)
        {
            await pipe.Writer.WriteAsync(new[] { b });
        }

        var frames = await reading;
        Assert.Equal(["MSH|one", "MSH|two"], frames.Select(f => Encoding.ASCII.GetString(f!.Content)));
        Assert.All(frames, f => Assert.Equal(MllpFrameProblem.None, f!.Problem));
    }

    [Fact]
    public async Task Read_BytesOutsideFrames_AreSkippedAndCounted()
    {
        var pipe = new Pipe();
        var framer = new MllpFramer(1024);
        await pipe.Writer.WriteAsync("garbage\r\n"u8.ToArray().Concat(MllpFramer.Wrap("MSH|x"u8)).ToArray());

        var frame = await framer.ReadAsync(pipe.Reader, default);

        Assert.Equal("MSH|x", Encoding.ASCII.GetString(frame!.Content));
        Assert.Equal(9, framer.SkippedBytes);
    }

    [Fact]
    public async Task Read_StartBlockInsideAFrame_EndsTheCutOffFrameAsTruncated()
    {
        var pipe = new Pipe();
        var framer = new MllpFramer(1024);
        await pipe.Writer.WriteAsync(new byte[] { 0x0B }.Concat("MSH|cut"u8.ToArray()).Concat(MllpFramer.Wrap("MSH|whole"u8)).ToArray());

        var first = await framer.ReadAsync(pipe.Reader, default);
        var second = await framer.ReadAsync(pipe.Reader, default);

        Assert.Equal((MllpFrameProblem.Truncated, "MSH|cut"), (first!.Problem, Encoding.ASCII.GetString(first.Content)));
        Assert.Equal((MllpFrameProblem.None, "MSH|whole"), (second!.Problem, Encoding.ASCII.GetString(second.Content)));
    }

    [Fact]
    public async Task Read_OversizedFrame_KeepsItsBeginningAndTheNextFrameStillArrives()
    {
        var pipe = new Pipe();
        var framer = new MllpFramer(10_000);
        var big = Encoding.ASCII.GetBytes("MSH|^~\\&|A|B\r" + new string('X', 50_000));
        await pipe.Writer.WriteAsync(MllpFramer.Wrap(big).Concat(MllpFramer.Wrap("MSH|next"u8)).ToArray());

        var first = await framer.ReadAsync(pipe.Reader, default);
        var second = await framer.ReadAsync(pipe.Reader, default);

        Assert.Equal(MllpFrameProblem.Oversized, first!.Problem);
        Assert.StartsWith("MSH|^~\\&|A|B", Encoding.ASCII.GetString(first.Content), StringComparison.Ordinal);
        Assert.True(first.Content.Length <= 10_000);
        Assert.Equal("MSH|next", Encoding.ASCII.GetString(second!.Content));
    }

    [Fact]
    public async Task Read_ConnectionEndsInsideAFrame_ReturnsNullAndSaysItWasInAFrame()
    {
        var pipe = new Pipe();
        var framer = new MllpFramer(1024);
        await pipe.Writer.WriteAsync(new byte[] { 0x0B, (byte)'M', (byte)'S' });
        await pipe.Writer.CompleteAsync();

        var frame = await framer.ReadAsync(pipe.Reader, default);

        Assert.Null(frame);
        Assert.True(framer.InFrame);
    }
}
