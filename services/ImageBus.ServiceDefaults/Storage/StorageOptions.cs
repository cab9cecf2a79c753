using System.ComponentModel.DataAnnotations;

namespace ImageBus.ServiceDefaults.Storage;

/// <summary>Section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Folder of the filesystem store; relative paths are taken from the working directory.</summary>
    [Required]
    public string Root { get; set; } = ".local/blobs";
}
