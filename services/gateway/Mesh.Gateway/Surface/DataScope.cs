using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Mesh.Gateway.Surface;

/// <summary>
/// How a partner's own data is told apart in one service: the partner's <paramref name="Attribute"/> (e.g. its
/// "supplier", "suppliers/acme") must appear at <paramref name="OwnerPath"/> of a resource (a dotted path, through
/// repeated fields too); list requests get it as their <paramref name="ListFilter"/>. When <paramref name="Required"/>,
/// a client without the attribute sees nothing.
/// </summary>
public sealed record DataScope(string Attribute, string ListFilter, string OwnerPath, bool Required)
{
    private string[] Segments => OwnerPath.Split('.');

    /// <summary>
    /// Narrows a request to the partner's own data: a list request's filter is set to <paramref name="partner"/>, and
    /// so is the owner of a resource the request writes (e.g. the invoice of a create). False when the request asks for
    /// another partner's data by that filter, which then reads as nothing; PERMISSION_DENIED when it writes a resource
    /// owned by another partner.
    /// </summary>
    public bool Narrow(IMessage request, string partner)
    {
        foreach (var written in request.Descriptor.Fields.InDeclarationOrder().Where(f => !f.IsRepeated && f.FieldType == FieldType.Message && IsResource(f.MessageType)))
        {
            OwnWritten(written, request, partner);
        }

        if (request.Descriptor.FindFieldByName(ListFilter) is not { FieldType: FieldType.String, IsRepeated: false } filter)
        {
            return true;
        }

        var asked = (string)filter.Accessor.GetValue(request);
        if (asked.Length > 0 && asked != partner)
        {
            return false;
        }

        filter.Accessor.SetValue(request, partner);
        return true;
    }

    // The owner of a written resource is the partner: filled in when empty, refused when it names another partner.
    private void OwnWritten(FieldDescriptor field, IMessage request, string partner)
    {
        if (field.Accessor.GetValue(request) is not IMessage resource
            || Segments.Length != 1 || resource.Descriptor.FindFieldByName(OwnerPath) is not { FieldType: FieldType.String, IsRepeated: false } owner)
        {
            return;
        }

        var stated = (string)owner.Accessor.GetValue(resource);
        if (stated.Length > 0 && stated != partner)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{field.Name}.{OwnerPath} must be this client's own {Attribute}"));
        }

        owner.Accessor.SetValue(resource, partner);
    }

    /// <summary>True when <paramref name="message"/> is a resource this scope judges (it has the owner path's first field).</summary>
    public bool IsResource(MessageDescriptor message) => message.FindFieldByName(Segments[0]) is not null;

    /// <summary>True when the resource belongs to <paramref name="partner"/>.</summary>
    public bool Owns(IMessage resource, string partner) => ValuesAt(resource, Segments, 0).Contains(partner);

    /// <summary>Removes from a list response every resource that does not belong to <paramref name="partner"/>.</summary>
    public void KeepOwn(IMessage response, string partner)
    {
        foreach (var field in response.Descriptor.Fields.InDeclarationOrder().Where(f => f.IsRepeated && !f.IsMap && f.FieldType == FieldType.Message && IsResource(f.MessageType)))
        {
            var list = (IList)field.Accessor.GetValue(response);
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (!Owns((IMessage)list[i]!, partner))
                {
                    list.RemoveAt(i);
                }
            }
        }
    }

    private static IEnumerable<string> ValuesAt(IMessage message, string[] path, int index)
    {
        if (message.Descriptor.FindFieldByName(path[index]) is not { } field)
        {
            return [];
        }

        var value = field.Accessor.GetValue(message);
        IEnumerable<object> values = field.IsRepeated ? ((IList)value).Cast<object>() : value is null ? [] : [value];
        return index == path.Length - 1
            ? values.OfType<string>()
            : values.OfType<IMessage>().SelectMany(child => ValuesAt(child, path, index + 1));
    }
}
