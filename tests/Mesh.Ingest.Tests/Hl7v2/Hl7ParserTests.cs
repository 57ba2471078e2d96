using System.Text;
using Mesh.Ingest.Hl7v2;

namespace Mesh.Ingest.Tests.Hl7v2;

public sealed class Hl7ParserTests
{
    private const string Dft =
        "MSH|^~\\&|PERIOP|MAIN^1.2.3^ISO|MESH|MESH|20261206101500-0500||DFT^P03^DFT_P03|CTRL-1|P|2.5.1\r" +
        "EVN|P03|20261206101500\r" +
        "PID|1||PI778^^^PERIOP^PI~MRN12345^^^HOSP&2.16.840.1&ISO^MR||DOE^JANE\r" +
        "PV1|1|I|OR3^^^MAIN||||||||||||||||VN5566\r" +
        "FT1|1|T1||20261206093000||CG|272-1001^Suture 3-0^CDM||Suture\\T\\needle \\F\\ pack|2||||OR3^Main OR 3\r" +
        "FT1|2|T2||20261206094500||CG|10705031012345^Stent^GTIN|||1||||OR3\r";

    [Fact]
    public void Parse_DftWithRepetitionsComponentsAndEscapes_ReadsEveryLevel()
    {
        var (message, error) = Hl7Parser.Parse(Dft);

        Assert.Null(error);
        Assert.Equal("DFT^P03", message!.MessageType);
        Assert.Equal("CTRL-1", message.ControlId);
        Assert.Equal("MAIN", message.SendingFacility);
        Assert.Equal("2.5.1", message.Version);
        Assert.Equal("MRN12345", message.Value(null, Hl7Path.Parse("PID-3[5=MR].1")));
        Assert.Equal("2.16.840.1", message.Value(null, Hl7Path.Parse("PID-3[5=MR].4.2")));
        Assert.Equal("PI778", message.Value(null, Hl7Path.Parse("PID-3.1")));
        Assert.Equal("MRN12345", message.Value(null, Hl7Path.Parse("PID-3[2].1")));
        Assert.Equal("Suture&needle | pack", message.Value(message.First("FT1"), Hl7Path.Parse("FT1-9")));
        var second = message.All("FT1").Last();
        Assert.Equal("10705031012345", message.Value(second, Hl7Path.Parse("FT1-7.1")));
        Assert.Equal("GTIN", message.Value(second, Hl7Path.Parse("FT1-7.3")));
        Assert.Null(message.Value(second, Hl7Path.Parse("FT1-13.2")));
        Assert.Equal("|", message.Value(null, Hl7Path.Parse("MSH-1")));
        Assert.Equal("^~\\&", message.Value(null, Hl7Path.Parse("MSH-2")));
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void Parse_AnySegmentEnding_GivesTheSameSegments(string ending)
    {
        var (message, error) = Hl7Parser.Parse(Dft.Replace("\r", ending, StringComparison.Ordinal));

        Assert.Null(error);
        Assert.Equal(["MSH", "EVN", "PID", "PV1", "FT1", "FT1"], message!.Segments.Select(s => s.Id));
    }

    [Fact]
    public void Parse_Utf8WithByteOrderMark_DropsTheMarkAndKeepsNonAsciiText()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Dft.Replace("DOE^JANE", "MÜLLER^JOSÉ", StringComparison.Ordinal))).ToArray();

        var (message, error) = Hl7Parser.Parse(bytes);

        Assert.Null(error);
        Assert.Equal("MSH", message!.Header.Id);
        Assert.Equal("MÜLLER", message.Value(null, Hl7Path.Parse("PID-5.1")));
    }

    [Fact]
    public void Parse_OtherDelimitersDeclaredInMsh_AreUsed()
    {
        var custom = Dft.Replace('|', '#').Replace('^', '$').Replace('~', '*').Replace('&', '%').Replace("\\T\\", "\\T\\", StringComparison.Ordinal);

        var (message, error) = Hl7Parser.Parse(custom);

        Assert.Null(error);
        Assert.Equal('#', message!.Encoding.Field);
        Assert.Equal("DFT^P03", message.MessageType);
        Assert.Equal("MRN12345", message.Value(null, Hl7Path.Parse("PID-3[5=MR].1")));
        Assert.Equal("2.16.840.1", message.Value(null, Hl7Path.Parse("PID-3[5=MR].4.2")));
    }

    [Fact]
    public void Parse_HexEscapeAndLineBreak_AreDecoded()
    {
        var (message, _) = Hl7Parser.Parse("MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5\rNTE|1||first\\.br\\second \\X41\\ \\H\\bold\\N\\\r");

        Assert.Equal("first\nsecond A bold", message!.Value(null, Hl7Path.Parse("NTE-3")));
    }

    [Fact]
    public void Parse_Latin1DeclaredInMsh18_DecodesAsLatin1()
    {
        var text = "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5||||||8859/1\rPID|1||X^^^^MR||M\u00DCLLER\r";

        var (message, error) = Hl7Parser.Parse(Encoding.Latin1.GetBytes(text));

        Assert.Null(error);
        Assert.Equal("M\u00DCLLER", message!.Value(null, Hl7Path.Parse("PID-5")));
    }

    [Fact]
    public void Parse_InvalidUtf8WithoutDeclaredCharset_IsRefusedNamingMsh18()
    {
        var bytes = Encoding.ASCII.GetBytes("MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5\rPID|1||X\r").Concat(new byte[] { 0xC3, 0x28, 0x0D }).ToArray();

        var (_, error) = Hl7Parser.Parse(bytes);

        Assert.Equal("MSH-18", error!.Location);
        Assert.Contains("not valid UTF-8", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "the message is empty")]
    [InlineData("PID|1||X\r", "does not start with an MSH segment")]
    [InlineData("MSH|^~", "too short")]
    [InlineData("MSH|^^\\&|A|B\r", "MSH-2")]
    [InlineData("MSHA^~\\&|A|B\r", "MSH-1")]
    [InlineData("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID#1#X\r", "segment 2 does not start with a segment id")]
    [InlineData("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rMSH|^~\\&|A\r", "second MSH")]
    [InlineData("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID|1|\u0000bin\r", "control character")]
    public void Parse_BrokenMessages_AreRefusedWithTheRuleTheyBreak(string text, string expected)
    {
        var (message, error) = Hl7Parser.Parse(text);

        Assert.Null(message);
        Assert.Contains(expected, error!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PublicOmlSamples_EveryMessageParses()
    {
        // Seven OML^O21 messages from nHapi's test data, separated by blank lines, LF segment endings.
        var messages = TestData.Text("hl7v2/nhapi-oml_o21-messages.txt").Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        var parsed = messages.Select(m => Hl7Parser.Parse(m)).ToList();

        Assert.Equal(7, parsed.Count);
        Assert.All(parsed, p => Assert.Null(p.Error));
        Assert.All(parsed, p => Assert.StartsWith("OML^O21", p.Message!.MessageType, StringComparison.Ordinal));
        Assert.Equal("msgOP123", parsed[0].Message!.ControlId);
        Assert.Equal("", parsed[4].Message!.ControlId);
        Assert.Equal("EVERYMAN", parsed[0].Message!.Value(null, Hl7Path.Parse("PID-5.1")));
        Assert.Equal("444444", parsed[3].Message!.Value(parsed[3].Message!.First("OBR"), Hl7Path.Parse("OBR-32.1.1")));
    }

    [Theory]
    [InlineData("hang1")]
    [InlineData("stackoverflow1")]
    [InlineData("nullref1")]
    [InlineData("ioor1")]
    public void Parse_FuzzerInputsThatBrokeOtherParsers_EndWithAnAnswer(string file)
    {
        var (message, error) = Hl7Parser.Parse(TestData.Bytes($"hl7v2/nhapi-bad-inputs/{file}"));

        // Each either parses to a message (without what a mapping needs) or is refused with a reason; none throws or hangs.
        Assert.True(message is not null ^ error is not null);
        if (message is not null)
        {
            Assert.Equal(message.Segments.Count, message.Segments.Select(s => s.Ordinal).Distinct().Count());
        }
    }

    [Theory]
    [InlineData("FT1-7", "FT1", 7, null, null, null)]
    [InlineData("PID-3[2].4.1", "PID", 3, 2, 4, 1)]
    [InlineData("PID-3[5=MR].1", "PID", 3, null, 1, null)]
    public void PathParse_ValidPaths_HaveTheirParts(string text, string segment, int field, int? repetition, int? component, int? subcomponent)
    {
        var path = Hl7Path.Parse(text);

        Assert.Equal((segment, field, repetition, component, subcomponent), (path.Segment, path.Field, path.Repetition, path.Component, path.Subcomponent));
        Assert.Equal(text, path.ToString());
    }

    [Theory]
    [InlineData("FT1")]
    [InlineData("ft1-7")]
    [InlineData("FT1-0")]
    [InlineData("FT1-7..1")]
    public void PathParse_Malformed_IsNull(string text) => Assert.Null(Hl7Path.TryParse(text));
}
