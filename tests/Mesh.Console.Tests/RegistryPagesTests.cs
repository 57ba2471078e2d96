using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Mesh.Contracts.Registry.V1;
using Microsoft.Playwright;
using Type = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type;

namespace Mesh.Console.Tests;

/// <summary>The registry pages against the real registry (real buf judging each version) through the sidecars.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class RegistryPagesTests(ConsoleMesh mesh)
{
    [Fact]
    public async Task SubjectPage_TwoVersions_ShowsSettingsAndTheirDiff()
    {
        var subject = $"acme.orders{Guid.NewGuid():N}"[..20] + ".v1";
        await mesh.Registry.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = $"subjects/{subject}", FileDescriptorSet = Orders(subject, withNote: false), OwnerTeam = "orders-team" }, Architect());
        await mesh.Registry.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = $"subjects/{subject}", FileDescriptorSet = Orders(subject, withNote: true), OwnerTeam = "orders-team" }, Architect());

        var page = await mesh.SignInAsync("eve.ops", "operator");
        await page.GotoAsync("/registry");
        var row = page.Locator($"tr[data-subject='{subject}']");
        await Assertions.Expect(row).ToContainTextAsync("orders-team");
        await Assertions.Expect(row).ToContainTextAsync("Backward");
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator("#versions tr")).ToHaveCountAsync(3);
        await page.Locator("select[name=from]").SelectOptionAsync("1");
        await page.Locator("select[name=to]").SelectOptionAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show diff" }).ClickAsync();

        await Assertions.Expect(page.Locator("#diff tr")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#diff tr.diff-added")).ToHaveTextAsync([$"Addedfield {subject}.Order.noteoptional string = 2", $"Addedmessage {subject}.Refund0 field(s)"]);
        await Assertions.Expect(page.Locator("#diff tr.diff-changed")).ToHaveTextAsync($"Changedmessage {subject}.Order1 field(s) → 2 field(s)");
    }

    // A fresh header set per call: the invocation invoker adds dapr-app-id to the one it is given.
    private static Metadata Architect() => new() { { "authorization", $"Bearer {ConsoleMesh.ArchitectToken}" } };

    // acme.orders….v1: Order { order_id }, and with the note, Order { order_id, note } and an empty Refund.
    private static ByteString Orders(string package, bool withNote)
    {
        var order = new DescriptorProto { Name = "Order", Field = { Field("order_id", 1) } };
        var file = new FileDescriptorProto { Name = $"{package.Replace('.', '/')}/orders.proto", Package = package, Syntax = "proto3", MessageType = { order } };
        if (withNote)
        {
            order.Field.Add(Field("note", 2));
            file.MessageType.Add(new DescriptorProto { Name = "Refund" });
        }

        return new FileDescriptorSet { File = { file } }.ToByteString();
    }

    private static FieldDescriptorProto Field(string name, int number) =>
        new() { Name = name, Number = number, Type = Type.String, Label = FieldDescriptorProto.Types.Label.Optional, JsonName = name };
}
