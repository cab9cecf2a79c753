using System.ComponentModel.DataAnnotations;

namespace ImageBus.Storage;

/// <summary>Which blob store to use. Section <c>Storage</c>.</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string Section = "Storage";

    /// <summary><see cref="BlobStoreKind.FileSystem"/> on one machine; <see cref="BlobStoreKind.S3"/> when services
    /// run on several.</summary>
    public BlobStoreKind Kind { get; set; } = BlobStoreKind.FileSystem;

    /// <summary>Folder of the filesystem store; relative paths are taken from the working directory.</summary>
    [Required]
    public string Root { get; set; } = ".local/blobs";

    /// <summary>Section <c>Storage:S3</c>, read when <see cref="Kind"/> is S3.</summary>
    public S3StorageOptions S3 { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Kind != BlobStoreKind.S3)
        {
            yield break;
        }

        // Data annotations do not descend into the nested section on their own.
        var problems = new List<ValidationResult>();
        Validator.TryValidateObject(S3, new ValidationContext(S3), problems, validateAllProperties: true);
        foreach (var problem in problems)
        {
            yield return new ValidationResult($"Storage:S3: {problem.ErrorMessage}", [nameof(S3)]);
        }

        if (string.IsNullOrEmpty(S3.AccessKey) != string.IsNullOrEmpty(S3.SecretKey))
        {
            yield return new ValidationResult("Storage:S3: set both AccessKey and SecretKey, or neither to use the AWS default credentials.",
                [nameof(S3)]);
        }
    }
}

public enum BlobStoreKind
{
    FileSystem,
    S3,
}

/// <summary>An S3-compatible object store (AWS S3, MinIO, Ceph RGW, R2...). Section <c>Storage:S3</c>.</summary>
public sealed class S3StorageOptions
{
    /// <summary>The endpoint, e.g. <c>http://minio:9000</c>; empty means AWS S3 in <see cref="Region"/>.</summary>
    [Url]
    public string? ServiceUrl { get; set; }

    /// <summary>The signing region; most S3-compatible stores accept the default.</summary>
    [Required]
    public string Region { get; set; } = "us-east-1";

    [Required]
    public string Bucket { get; set; } = "";

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Address objects as <c>{ServiceUrl}/{bucket}/{key}</c> instead of <c>{bucket}.{host}/{key}</c>; what
    /// most self-hosted stores need.</summary>
    public bool ForcePathStyle { get; set; } = true;
}
