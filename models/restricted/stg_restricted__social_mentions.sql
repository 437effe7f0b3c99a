{#-
    The author of a social mention: the display name ("Jane S.": a last name reduced to an
    initial cannot be compared as a name and is left out) and the email of the CRM contact the
    listening tool linked, when it did.
-#}
with

source as (
    select * from {{ source('social', 'mentions') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.author_name') }} as author_name,
        {{ json_text('payload', '$.linked_contact.email') }} as linked_email,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

named as (
    select
        record_key,
        occurred_at,
        linked_email,
        {{ normalize_name(full_name_part('author_name', 'first_word')) }} as first_name,
        {{ normalize_name(full_name_part('author_name', 'other_words')) }} as last_name
    from deduplicated
),

final as (
    select
        concat('social__mentions:', record_key) as record_id,
        'social__mentions' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        first_name,
        case when length(last_name) > 1 then last_name end as last_name,
        cast(null as date) as date_of_birth,
        cast(null as string) as address_line,
        cast(null as string) as postal_code,
        cast(null as string) as city,
        cast(null as string) as country_code,
        {{ normalize_email('linked_email') }} as email,
        cast(null as string) as phone,
        cast(null as string) as secondary_phone
    from named
)

select * from final
