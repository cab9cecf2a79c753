using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace ImageBus.Storage;

/// <summary>Blobs as objects in one bucket of an S3-compatible store. A PUT replaces the object under its key
/// whole, so writing a key again (a redelivered message) never leaves a second copy or half an object.</summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    readonly AmazonS3Client client;
    readonly string bucket;

    public S3BlobStore(IOptions<StorageOptions> options)
    {
        var s3 = options.Value.S3;
        bucket = s3.Bucket;
        var config = new AmazonS3Config
        {
            ForcePathStyle = s3.ForcePathStyle,
            // Checksums only where S3 demands them: many S3-compatible stores reject the SDK's newer default
            // trailing checksums (aws-chunked bodies).
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrEmpty(s3.ServiceUrl))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(s3.Region);
        }
        else
        {
            config.ServiceURL = s3.ServiceUrl;
            config.AuthenticationRegion = s3.Region;
        }

        client = string.IsNullOrEmpty(s3.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(s3.AccessKey, s3.SecretKey), config);
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(content.ToArray(), writable: false);
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = body,
            ContentType = contentType,
            // A plain signed body: stores that do not speak aws-chunked uploads still accept it.
            UseChunkEncoding = false,
        }, cancellationToken);
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.GetObjectAsync(bucket, key, cancellationToken);
            // Copied out so the HTTP response can be released at once; images are a few MiB at most.
            var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy, cancellationToken);
            copy.Position = 0;
            return copy;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<string?> VersionOfAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetObjectMetadataAsync(bucket, key, cancellationToken)).ETag;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<int> DeleteAsync(string keyOrPrefix, CancellationToken cancellationToken)
    {
        if (!keyOrPrefix.EndsWith('/'))
        {
            await client.DeleteObjectAsync(bucket, keyOrPrefix, cancellationToken);
            return 1;
        }

        // A page of keys at a time (S3 lists and deletes up to 1,000 per call).
        var removed = 0;
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = keyOrPrefix };
        ListObjectsV2Response page;
        do
        {
            page = await client.ListObjectsV2Async(request, cancellationToken);
            if (page.S3Objects is { Count: > 0 } objects)
            {
                await client.DeleteObjectsAsync(new DeleteObjectsRequest
                {
                    BucketName = bucket,
                    Objects = [.. objects.Select(o => new KeyVersion { Key = o.Key })],
                }, cancellationToken);
                removed += objects.Count;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        return removed;
    }

    public string Describe(string key) => $"s3://{bucket}/{key}";

    public void Dispose() => client.Dispose();
}
