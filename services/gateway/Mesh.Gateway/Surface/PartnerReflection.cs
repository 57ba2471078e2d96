using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Mesh.Gateway.Surface;

/// <summary>
/// The descriptors gRPC reflection serves: the partner services with only their partner RPCs, so a partner's tools
/// (buf curl, grpcurl) see what it may call and nothing of the internal methods beside it.
/// </summary>
public static class PartnerReflection
{
    /// <summary>The partner services of <paramref name="surface"/>, each cut down to its partner RPCs.</summary>
    public static IReadOnlyList<Google.Protobuf.Reflection.ServiceDescriptor> ServicesOf(PartnerSurface surface)
    {
        var partnerMethods = surface.Methods.Select(m => m.Descriptor.FullName).ToHashSet(StringComparer.Ordinal);
        var contractFiles = surface.Services.Select(s => s.Contract.File).Distinct().ToList();
        var ordered = new List<FileDescriptor>();
        foreach (var file in contractFiles)
        {
            AddWithDependencies(file, ordered);
        }

        // Rebuild every file in dependency order; the services' own files lose their non-partner RPCs.
        var bytes = ordered.Select(file =>
        {
            var proto = FileDescriptorProto.Parser.ParseFrom(file.SerializedData);
            if (contractFiles.Contains(file))
            {
                foreach (var service in proto.Service)
                {
                    var keep = service.Method.Where(m => partnerMethods.Contains($"{proto.Package}.{service.Name}.{m.Name}")).ToList();
                    service.Method.Clear();
                    service.Method.Add(keep);
                }
            }

            return proto.ToByteString();
        });
        var rebuilt = FileDescriptor.BuildFromByteStrings(bytes);
        var names = surface.Services.Select(s => s.Contract.FullName).ToHashSet(StringComparer.Ordinal);
        return [.. rebuilt.SelectMany(f => f.Services).Where(s => names.Contains(s.FullName))];
    }

    private static void AddWithDependencies(FileDescriptor file, List<FileDescriptor> ordered)
    {
        if (ordered.Any(f => f.Name == file.Name))
        {
            return;
        }

        foreach (var dependency in file.Dependencies)
        {
            AddWithDependencies(dependency, ordered);
        }

        ordered.Add(file);
    }
}
