{#-
    The requester of a support ticket version: name ("Jane Smith", first name first), email and
    phone, the phone read in the default phone region like stg_tickets__tickets does.
-#}
with

source as (
    select * from {{ source('tickets', 'tickets') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.requester.name') }} as requester_name,
        {{ json_text('payload', '$.requester.email') }} as email,
        {{ json_text('payload', '$.requester.phone') }} as phone,
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
        concat('tickets__tickets:', record_key) as record_id,
        'tickets__tickets' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        {{ normalize_name(full_name_part('requester_name', 'first_word')) }} as first_name,
        {{ normalize_name(full_name_part('requester_name', 'other_words')) }} as last_name,
        cast(null as date) as date_of_birth,
        cast(null as string) as address_line,
        cast(null as string) as postal_code,
        cast(null as string) as city,
        cast(null as string) as country_code,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone', "'" ~ var('default_phone_region') ~ "'") }} as phone,
        cast(null as string) as secondary_phone
    from deduplicated
)

select * from final
