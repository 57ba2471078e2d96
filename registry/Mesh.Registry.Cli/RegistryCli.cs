using System.CommandLine;
using Google.Protobuf;
using Mesh.Registry.Buf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Cli;

/// <summary>
/// mesh-registry: the registry from CI. Exit codes: 0 compatible / done, 1 incompatible or refused,
/// 2 the command could not run (bad input, registry unreachable, no permission).
/// </summary>
internal static class RegistryCli
{
    public const int Ok = 0;
    public const int Incompatible = 1;
    public const int Failed = 2;

    private static readonly Option<string> RegistryOption = new("--registry")
    {
        Description = "The registry's gRPC address (env MESH_REGISTRY_URL)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MESH_REGISTRY_URL") ?? "http://127.0.0.1:5100",
        Recursive = true,
    };

    private static readonly Option<string> TokenOption = new("--token")
    {
        Description = "The bearer token (env MESH_REGISTRY_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MESH_REGISTRY_TOKEN") ?? "",
        Recursive = true,
    };

    private static readonly Option<string> BufOption = new("--buf")
    {
        Description = "The buf binary used to build a module folder (default: node_modules' buf, else buf on PATH)",
        DefaultValueFactory = _ => "",
        Recursive = true,
    };

    private static readonly Option<string[]> PathOption = new("--path")
    {
        Description = "Only these folders or files of the workspace (as buf build --path), e.g. proto",
        AllowMultipleArgumentsPerToken = false,
        Recursive = true,
    };

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var input = new Argument<string>("input") { Description = "A buf module or workspace folder, or a descriptor set / image file" };
        var subjectOption = new Option<string?>("--subject") { Description = "Check or push everything as this one subject instead of one subject per package" };
        var ownerOption = new Option<string?>("--owner") { Description = "The owning team recorded on new subjects" };

        var check = new Command("check", "Checks every package against the registry without registering (exit 1 when any is incompatible)") { input, subjectOption };
        check.SetAction((result, ct) => Guard(error, () => CheckOrPushAsync(result, input, subjectOption, null, push: false, output, ct)));

        var push = new Command("push", "Registers every package as a new version of its subject (exit 1 when any is refused)") { input, subjectOption, ownerOption };
        push.SetAction((result, ct) => Guard(error, () => CheckOrPushAsync(result, input, subjectOption, ownerOption, push: true, output, ct)));

        var diffSubject = new Argument<string>("subject") { Description = "The subject, e.g. mesh.inventory.v1" };
        var fromVersion = new Argument<string>("from") { Description = "A version number or 'latest'" };
        var toVersion = new Argument<string>("to") { Description = "A version number or 'latest'" };
        var diff = new Command("diff", "Shows what changed between two versions of a subject") { diffSubject, fromVersion, toVersion };
        diff.SetAction((result, ct) => Guard(error, async () =>
        {
            var client = Client(result);
            var subject = result.GetValue(diffSubject)!;
            var from = await client.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = $"subjects/{subject}/versions/{result.GetValue(fromVersion)}" }, Headers(result), cancellationToken: ct);
            var to = await client.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = $"subjects/{subject}/versions/{result.GetValue(toVersion)}" }, Headers(result), cancellationToken: ct);
            var lines = SchemaDiff.Between(FileDescriptorSet.Parser.ParseFrom(from.FileDescriptorSet), FileDescriptorSet.Parser.ParseFrom(to.FileDescriptorSet));
            await output.WriteLineAsync($"{from.Name} -> {to.Name}: {lines.Count} change(s)");
            foreach (var line in lines)
            {
                await output.WriteLineAsync("  " + line);
            }

            return Ok;
        }));

        var listSubject = new Argument<string?>("subject") { Description = "List this subject's versions instead of all subjects", Arity = ArgumentArity.ZeroOrOne };
        var list = new Command("list", "Lists subjects, or the versions of one subject") { listSubject };
        list.SetAction((result, ct) => Guard(error, async () =>
        {
            var client = Client(result);
            var subject = result.GetValue(listSubject);
            var token = "";
            do
            {
                if (subject is null)
                {
                    var page = await client.ListSubjectsAsync(new ListSubjectsRequest { PageToken = token }, Headers(result), cancellationToken: ct);
                    foreach (var s in page.Subjects)
                    {
                        await output.WriteLineAsync($"{s.Name}  latest=v{s.LatestVersion}  owner={s.OwnerTeam}  state={s.State}  compatibility={s.Compatibility}");
                    }

                    token = page.NextPageToken;
                }
                else
                {
                    var page = await client.ListSchemaVersionsAsync(new ListSchemaVersionsRequest { Parent = $"subjects/{subject}", PageToken = token, ShowDeleted = true }, Headers(result), cancellationToken: ct);
                    foreach (var v in page.SchemaVersions)
                    {
                        await output.WriteLineAsync($"{v.Name}  id={v.SchemaId}  by={v.CreatePrincipal}  at={v.CreateTime?.ToDateTimeOffset():u}{(v.Deleted ? "  (deleted)" : "")}");
                    }

                    token = page.NextPageToken;
                }
            }
            while (token.Length > 0);
            return Ok;
        }));

        var root = new RootCommand("mesh-registry: check, push, diff and list contracts in the Mesh schema registry")
        {
            Options = { RegistryOption, TokenOption, BufOption, PathOption },
            Subcommands = { check, push, diff, list },
        };
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    private static async Task<int> CheckOrPushAsync(
        ParseResult result, Argument<string> input, Option<string?> subjectOption, Option<string?>? ownerOption, bool push, TextWriter output, CancellationToken ct)
    {
        var buf = BufLocator.Locate(result.GetValue(BufOption) ?? "");
        var image = await ContractImage.LoadAsync(result.GetValue(input)!, result.GetValue(PathOption) ?? [], buf, ct);
        var client = Client(result);
        var single = result.GetValue(subjectOption);
        var units = single is null
            ? image.Packages.Select(p => (Subject: p, Set: image.DescriptorSetOf(p))).ToList()
            : [(single, image.Packages.Aggregate(new FileDescriptorSet(), (set, p) => Merge(set, image.DescriptorSetOf(p))).ToByteString())];
        var refused = 0;
        foreach (var (subject, set) in units)
        {
            if (push)
            {
                try
                {
                    var version = await client.CreateSchemaVersionAsync(
                        new CreateSchemaVersionRequest { Parent = $"subjects/{subject}", FileDescriptorSet = set, OwnerTeam = ownerOption is null ? "" : result.GetValue(ownerOption) ?? "" },
                        Headers(result), cancellationToken: ct);
                    await output.WriteLineAsync($"ok   {version.Name} (schema id {version.SchemaId})");
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
                {
                    refused++;
                    await output.WriteLineAsync($"FAIL subjects/{subject}: refused");
                    foreach (var violation in e.GetRpcStatus()?.GetDetail<Google.Rpc.PreconditionFailure>()?.Violations ?? [])
                    {
                        await output.WriteLineAsync($"     {violation.Type}  {violation.Subject}  {violation.Description}");
                    }

                    if (e.GetRpcStatus()?.GetDetail<Google.Rpc.PreconditionFailure>() is null)
                    {
                        await output.WriteLineAsync($"     {e.Status.Detail}");
                    }
                }

                continue;
            }

            var verdict = await client.CheckCompatibilityAsync(new CheckCompatibilityRequest { Parent = $"subjects/{subject}", FileDescriptorSet = set }, Headers(result), cancellationToken: ct);
            var compared = verdict.ComparedVersions.Count == 0 ? "no earlier version" : "v" + string.Join(",v", verdict.ComparedVersions);
            await output.WriteLineAsync($"{(verdict.Compatible ? "ok  " : "FAIL")} subjects/{subject} ({verdict.Compatibility}, {verdict.RuleCategory}; compared with {compared})");
            foreach (var v in verdict.Violations)
            {
                await output.WriteLineAsync($"     {v.Rule}  {v.Path}:{v.StartLine}:{v.StartColumn}  {v.Message}{(v.AgainstVersion > 0 ? $"  [against v{v.AgainstVersion}, {v.Kind}]" : $"  [{v.Kind}]")}");
            }

            refused += verdict.Compatible ? 0 : 1;
        }

        await output.WriteLineAsync($"{units.Count} subject(s), {refused} {(push ? "refused" : "incompatible")}");
        return refused == 0 ? Ok : Incompatible;
    }

    private static FileDescriptorSet Merge(FileDescriptorSet into, Google.Protobuf.ByteString set)
    {
        var names = into.File.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        into.File.AddRange(FileDescriptorSet.Parser.ParseFrom(set).File.Where(f => names.Add(f.Name)));
        return into;
    }

    private static async Task<int> Guard(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (RpcException e)
        {
            await error.WriteLineAsync($"error: {e.StatusCode}: {e.Status.Detail}");
            return Failed;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or Google.Protobuf.InvalidProtocolBufferException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return Failed;
        }
    }

    private static RegistryService.RegistryServiceClient Client(ParseResult result) =>
        new(GrpcChannel.ForAddress(result.GetValue(RegistryOption)!));

    private static Metadata Headers(ParseResult result) =>
        result.GetValue(TokenOption) is { Length: > 0 } token ? new Metadata { { "authorization", $"Bearer {token}" } } : [];
}
