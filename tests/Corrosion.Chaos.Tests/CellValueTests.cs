using Corrosion.Chaos.Workload;

namespace Corrosion.Chaos.Tests;

public sealed class CellValueTests
{
    [Theory]
    [InlineData("7", StorageClass.Integer)]
    [InlineData("-7", StorageClass.Integer)]
    [InlineData("7.0", StorageClass.Real)]
    [InlineData("7.25", StorageClass.Real)]
    [InlineData("1.0e+20", StorageClass.Real)]
    [InlineData("'7'", StorageClass.Text)]
    [InlineData("X'07'", StorageClass.Blob)]
    [InlineData("NULL", StorageClass.Null)]
    public void Quote_output_keeps_the_storage_class(string quoted, StorageClass expected)
    {
        Assert.Equal(expected, CellValue.FromQuoted(quoted).Class);
    }

    [Fact]
    public void Values_equal_only_in_class_and_content()
    {
        Assert.NotEqual(CellValue.Integer(7), CellValue.Real(7));
        Assert.NotEqual(CellValue.OfText("7"), CellValue.Integer(7));
        Assert.Equal(CellValue.Real(7), CellValue.FromQuoted("7.0"));
        Assert.Equal(CellValue.OfText("it's"), CellValue.FromQuoted("'it''s'"));
        Assert.Equal(CellValue.Blob([0xab, 0x01]), CellValue.FromQuoted("X'ab01'"));
    }

    [Fact]
    public void A_snapshot_cell_reads_back_as_the_same_value()
    {
        foreach (var value in new[] { CellValue.Integer(3), CellValue.Real(3), CellValue.Real(0.1), CellValue.OfText("3"), CellValue.BlobOf("3"), CellValue.Null })
        {
            Assert.Equal(value, Checking.ChaosChecker.Typed(value.ToSnapshotCell()));
        }
    }
}
