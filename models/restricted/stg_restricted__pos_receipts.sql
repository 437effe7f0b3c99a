{#-
    The customer on a till receipt line: the name printed on the receipt ("JANE SMITH", first name
    first) and the phone given at the till, read in the default phone region like
    stg_pos__receipts does.
-#}
with

source as (
    select * from {{ source('pos', 'receipts') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.customer_name') }} as customer_name,
        {{ json_text('payload', '$.phone') }} as phone,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

final as (
    select
        concat('pos__receipts:', record_key) as record_id,
        'pos__receipts' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        {{ normalize_name(full_name_part('customer_name', 'first_word')) }} as first_name,
        {{ normalize_name(full_name_part('customer_name', 'other_words')) }} as last_name,
        cast(null as date) as date_of_birth,
        cast(null as string) as address_line,
        cast(null as string) as postal_code,
        cast(null as string) as city,
        cast(null as string) as country_code,
        cast(null as string) as email,
        {{ normalize_phone('phone', "'" ~ var('default_phone_region') ~ "'") }} as phone,
        cast(null as string) as secondary_phone
    from deduplicated
)

select * from final
