using Mesh.Ingest.Hl7v2;

namespace Mesh.Ingest.Tests.Hl7v2;

public sealed class Hl7AckTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Build_Accept_SwapsSenderAndReceiverAndEchoesTheControlId()
    {
        var (message, _) = Hl7Parser.Parse("MSH|^~\\&|PERIOP|MAIN|MESH|HUB|20261206||DFT^P03|C1|P|2.5.1\r");

        var ack = Hl7Ack.Build(message, AckCode.Accept, null, "A1", Now);
        var (parsed, error) = Hl7Parser.Parse(ack);

        Assert.Null(error);
        Assert.Equal("ACK^P03", parsed!.MessageType);
        Assert.Equal(["MESH", "HUB", "PERIOP", "MAIN"], new[] { "MSH-3", "MSH-4", "MSH-5", "MSH-6" }.Select(p => parsed.Value(null, Hl7Path.Parse(p))));
        Assert.Equal("AA", parsed.Value(null, Hl7Path.Parse("MSA-1")));
        Assert.Equal("C1", parsed.Value(null, Hl7Path.Parse("MSA-2")));
        Assert.Null(parsed.First("ERR"));
    }

    [Fact]
    public void Build_Error_PutsTheReasonInMsaAndErrWithTheMessagesDelimiters()
    {
        var (message, _) = Hl7Parser.Parse("MSH#$*\\%#PERIOP#MAIN#MESH#HUB#20261206##DFT$P03#C1#P#2.5.1\r");

        var ack = Hl7Ack.Build(message, AckCode.Error, new AckError(103, "FT1-7.1: no item has this code | or that", "FT1-7"), "A1", Now);
        var (parsed, _) = Hl7Parser.Parse(ack);

        Assert.Equal('#', parsed!.Encoding.Field);
        Assert.Equal("AE", parsed.Value(null, Hl7Path.Parse("MSA-1")));
        Assert.Equal("FT1-7.1: no item has this code | or that", parsed.Value(null, Hl7Path.Parse("MSA-3")));
        Assert.Equal("FT1", parsed.Value(null, Hl7Path.Parse("ERR-2.1")));
        Assert.Equal("7", parsed.Value(null, Hl7Path.Parse("ERR-2.3")));
        Assert.Equal("103", parsed.Value(null, Hl7Path.Parse("ERR-3.1")));
        Assert.Equal("HL70357", parsed.Value(null, Hl7Path.Parse("ERR-3.3")));
        Assert.Equal("E", parsed.Value(null, Hl7Path.Parse("ERR-4")));
    }

    [Fact]
    public void Build_RejectOfAnUnparseableMessage_UsesDefaultDelimitersAndAnEmptyMsa2()
    {
        var ack = Hl7Ack.Build(null, AckCode.Reject, new AckError(100, "the message does not start with an MSH segment", ""), "A1", Now);
        var (parsed, error) = Hl7Parser.Parse(ack);

        Assert.Null(error);
        Assert.Equal("AR", parsed!.Value(null, Hl7Path.Parse("MSA-1")));
        Assert.Null(parsed.Value(null, Hl7Path.Parse("MSA-2")));
    }
}
