using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Corrosion.Agent.Storage;

/// <summary>
/// Direct entry points into the bundled SQLite (<c>e_sqlite3</c>, the library SQLitePCLRaw loads) for
/// the writer's hot path. SQLitePCLRaw's calls take and release a <see cref="SafeHandle"/> reference
/// and go through an interface per call, and its function callbacks allocate an argument array per
/// call: per row of a local write those were about a tenth of the CPU time. The handles stay owned by
/// SQLitePCLRaw's objects (which close them); these calls only borrow the raw pointers.
/// No call is marked SuppressGCTransition: with them, a collection during writes sometimes aborted the process as a
/// trigger callback was entered ("attempted to call a UnmanagedCallersOnly method from managed code"; TriggerCallbackTests).
/// </summary>
internal static unsafe partial class SqliteNative
{
    private const string Library = "e_sqlite3";

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.</summary>
    public static readonly IntPtr Transient = new(-1);

    [LibraryImport(Library)]
    public static partial int sqlite3_bind_int64(IntPtr stmt, int index, long value);

    [LibraryImport(Library)]
    public static partial int sqlite3_bind_double(IntPtr stmt, int index, double value);

    [LibraryImport(Library)]
    public static partial int sqlite3_bind_null(IntPtr stmt, int index);

    [LibraryImport(Library)]
    public static partial int sqlite3_bind_text(IntPtr stmt, int index, byte* text, int length, IntPtr destructor);

    [LibraryImport(Library)]
    public static partial int sqlite3_bind_blob(IntPtr stmt, int index, byte* blob, int length, IntPtr destructor);

    [LibraryImport(Library)]
    public static partial int sqlite3_bind_zeroblob(IntPtr stmt, int index, int length);

    [LibraryImport(Library)]
    public static partial int sqlite3_clear_bindings(IntPtr stmt);

    // Stepping runs triggers, which call back into managed functions.
    [LibraryImport(Library)]
    public static partial int sqlite3_step(IntPtr stmt);

    [LibraryImport(Library)]
    public static partial int sqlite3_reset(IntPtr stmt);

    [LibraryImport(Library)]
    public static partial int sqlite3_column_type(IntPtr stmt, int column);

    [LibraryImport(Library)]
    public static partial long sqlite3_column_int64(IntPtr stmt, int column);

    [LibraryImport(Library)]
    public static partial double sqlite3_column_double(IntPtr stmt, int column);

    [LibraryImport(Library)]
    public static partial byte* sqlite3_column_blob(IntPtr stmt, int column);

    [LibraryImport(Library)]
    public static partial int sqlite3_column_bytes(IntPtr stmt, int column);

    [LibraryImport(Library)]
    public static partial int sqlite3_changes(IntPtr db);

    [LibraryImport(Library)]
    public static partial int sqlite3_get_autocommit(IntPtr db);

    [LibraryImport(Library)]
    public static partial IntPtr sqlite3_user_data(IntPtr context);

    [LibraryImport(Library)]
    public static partial long sqlite3_value_int64(IntPtr value);

    [LibraryImport(Library)]
    public static partial int sqlite3_value_type(IntPtr value);

    [LibraryImport(Library)]
    public static partial double sqlite3_value_double(IntPtr value);

    [LibraryImport(Library)]
    public static partial byte* sqlite3_value_blob(IntPtr value);

    [LibraryImport(Library)]
    public static partial int sqlite3_value_bytes(IntPtr value);

    [LibraryImport(Library)]
    public static partial void sqlite3_result_int64(IntPtr context, long value);

    [LibraryImport(Library)]
    public static partial void sqlite3_result_error(IntPtr context, byte* message, int length);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int sqlite3_create_function_v2(IntPtr db, string name, int arguments, int textEncoding, IntPtr app, delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr*, void> function, IntPtr step, IntPtr final, IntPtr destroy);

    /// <summary>
    /// Registers the pre-update hook (e_sqlite3 is built with SQLITE_ENABLE_PREUPDATE_HOOK): called before every row a
    /// statement inserts, updates or deletes, with (context, db, op, database name, table name, old rowid, new rowid).
    /// </summary>
    [LibraryImport(Library)]
    public static partial IntPtr sqlite3_preupdate_hook(IntPtr db, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, int, byte*, byte*, long, long, void> hook, IntPtr context);

    [LibraryImport(Library)]
    public static partial int sqlite3_preupdate_old(IntPtr db, int column, out IntPtr value);

    [LibraryImport(Library)]
    public static partial int sqlite3_preupdate_new(IntPtr db, int column, out IntPtr value);

    [LibraryImport(Library)]
    public static partial int sqlite3_preupdate_count(IntPtr db);

    /// <summary>sqlite3_db_config with one int and an int out-pointer (SQLITE_DBCONFIG_ENABLE_TRIGGER and the like).</summary>
    [LibraryImport(Library)]
    public static partial int sqlite3_db_config(IntPtr db, int op, int value, int* result);

    /// <summary>SQLITE_DBCONFIG_ENABLE_TRIGGER (sqlite3.h).</summary>
    public const int DbConfigEnableTrigger = 1003;

    /// <summary>Registers (or, with a null <paramref name="handler"/>, removes) the connection's progress handler: called every <paramref name="instructions"/> VM instructions; non-zero interrupts the statement.</summary>
    [LibraryImport(Library)]
    public static partial void sqlite3_progress_handler(IntPtr db, int instructions, delegate* unmanaged[Cdecl]<IntPtr, int> handler, IntPtr context);

    [LibraryImport(Library)]
    public static partial long sqlite3_last_insert_rowid(IntPtr db);

    [LibraryImport(Library)]
    public static partial void sqlite3_set_last_insert_rowid(IntPtr db, long rowid);

    /// <summary>A value (a function argument, a pre-update hook's column), copied (its storage class kept).</summary>
    public static SqlValue Value(IntPtr value)
    {
        switch (sqlite3_value_type(value))
        {
            case 1:
                return SqlValue.FromInteger(sqlite3_value_int64(value));
            case 2:
                return SqlValue.FromReal(sqlite3_value_double(value));
            case 3:
            {
                // The stored bytes, as NativeStatement.GetValue reads a column (blob first, then its length).
                var text = sqlite3_value_blob(value);
                var length = sqlite3_value_bytes(value);
                return SqlValue.FromText(text == null ? string.Empty : System.Text.Encoding.UTF8.GetString(text, length));
            }

            case 4:
            {
                var blob = sqlite3_value_blob(value);
                var length = sqlite3_value_bytes(value);
                return SqlValue.FromBlob(blob == null ? [] : new ReadOnlySpan<byte>(blob, length).ToArray());
            }

            default:
                return SqlValue.Null;
        }
    }

    /// <summary>The value of argument <paramref name="index"/> of a function call as an integer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ArgInt64(IntPtr* args, int index) => sqlite3_value_int64(args[index]);

    /// <summary>The value of argument <paramref name="index"/> of a function call, copied (its storage class kept).</summary>
    public static SqlValue ArgValue(IntPtr* args, int index) => Value(args[index]);
}
